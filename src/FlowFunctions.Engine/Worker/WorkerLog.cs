using Microsoft.Extensions.Logging;

namespace FlowFunctions.Engine.Worker;

/// <summary>The worker's log messages (source-generated, no allocation when the level is off).</summary>
internal static partial class WorkerLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Control message {MessageId} failed; it will be retried")]
    public static partial void ControlMessageFailed(ILogger logger, Exception exception, string messageId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Episode of run {RunId} failed; its wake-ups stay queued and it will be retried")]
    public static partial void EpisodeFailed(ILogger logger, Exception exception, string runId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Work item {MessageId} failed; it will be redelivered")]
    public static partial void WorkItemFailed(ILogger logger, Exception exception, string messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Housekeeping sweep failed; it will run again")]
    public static partial void SweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Moved a message of {Queue} to the poison queue: {Reason}")]
    public static partial void Poisoned(ILogger logger, string queue, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling {Queue} failed ({Failures} in a row); the next poll in {Delay}")]
    public static partial void PollFailed(ILogger logger, Exception exception, string queue, int failures, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Information, Message = "Polling {Queue} works again after {Failures} failed polls")]
    public static partial void PollRecovered(ILogger logger, string queue, int failures);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention: deleted run {RunId}")]
    public static partial void RunDeleted(ILogger logger, string runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention: deleting run {RunId} failed; the next sweep finishes it")]
    public static partial void RunDeleteFailed(ILogger logger, Exception exception, string runId);
}
