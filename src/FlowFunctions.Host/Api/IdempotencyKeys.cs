using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using FlowFunctions.Storage;

namespace FlowFunctions.Host.Api;

/// <summary>
/// <c>Idempotency-Key</c> support: the run id is derived from the key, so a retried request finds the run it
/// started; a row in partition <c>$idempotency</c> remembers a hash of the request that claimed the key, so the same
/// key with another request is refused.
/// </summary>
internal static class IdempotencyKeys
{
    public const string Header = "Idempotency-Key";
    public const string Partition = "$idempotency";
    public const int MaxLength = 256;

    /// <summary>Visible ASCII only, at most <see cref="MaxLength"/> characters.</summary>
    public static bool IsValid(string key) => key.Length is > 0 and <= MaxLength && key.All(c => c is >= '!' and <= '~');

    /// <summary>A run id like the engine's (32 lowercase hex digits), from the key.</summary>
    public static string RunId(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("idem|" + key)))[..32];

    /// <summary>A hash of what the request asks for.</summary>
    public static string RequestHash(string specText, JsonObject? inputs) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(specText + "\n" + (inputs?.ToJsonString() ?? "{}"))));

    /// <summary>Claims the key for the request; false when it was claimed by a different request.</summary>
    public static async Task<bool> ClaimAsync(IPartitionStore partitions, string runId, string requestHash, CancellationToken ct)
    {
        var row = new JsonObject { ["requestHash"] = requestHash }.ToJsonString();
        try
        {
            await partitions.ExecuteAsync(Partition, [new RowOperation.Insert(runId, row)], ct);
            return true;
        }
        catch (BatchConflictException ex) when (ex.Kind == ConflictKind.AlreadyExists)
        {
            var existing = await partitions.GetAsync(Partition, runId, ct);
            return existing is not null && JsonNode.Parse(existing.Value)?["requestHash"]?.GetValue<string>() == requestHash;
        }
    }
}
