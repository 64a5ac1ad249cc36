using System.Globalization;

namespace FlowFunctions.Engine.Runs;

/// <summary>The row keys of a run partition (see ARCHITECTURE.md, "The run partition").</summary>
internal static class RunRows
{
    public const string Header = "run";
    public const string Lease = "lease";
    public const string NodePrefix = "node|";
    public const string ItemsPrefix = "items|";
    public const string ChildPrefix = "child|";
    public const string SequencePrefix = "seq|";
    public const string InboxPrefix = "inbox|";
    public const string OutboxPrefix = "outbox|";
    public const string HistoryPrefix = "history|";

    public const string RevisionPrefix = "rev|";

    /// <summary>A durable run's last orchestration step: its number and the effects it decided (see RunProcessor.Durable.cs).</summary>
    public const string DurableStep = "durable|step";

    public static string Node(string id) => NodePrefix + id;

    /// <summary>The mutation-log row of graph revision <paramref name="revision"/>.</summary>
    public static string Revision(int revision) => RevisionPrefix + revision.ToString("D6", CultureInfo.InvariantCulture);

    public static string Items(string mapId) => ItemsPrefix + mapId;

    // Zero-padded so that a prefix query returns children in index order.
    public static string Child(string mapId, int index) => ChildPrefix + mapId + "|" + index.ToString("D7", CultureInfo.InvariantCulture);

    public static string Sequence(long n) => SequencePrefix + n.ToString("D12", CultureInfo.InvariantCulture);

    public static string Inbox(string eventId) => InboxPrefix + eventId;

    public static string Outbox(string effectId) => OutboxPrefix + effectId;

    public static string History(long sequence, int index) =>
        HistoryPrefix + sequence.ToString("D12", CultureInfo.InvariantCulture) + "|" + index.ToString("D6", CultureInfo.InvariantCulture);
}
