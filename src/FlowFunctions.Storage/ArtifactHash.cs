using System.Buffers;
using System.Security.Cryptography;

namespace FlowFunctions.Storage;

/// <summary>The name of a content-addressed artifact: <c>sha256:</c> followed by 64 lowercase hex digits.</summary>
public static class ArtifactHash
{
    private const string Prefix = "sha256:";

    private static readonly SearchValues<char> LowerHexDigits = SearchValues.Create("0123456789abcdef");

    /// <summary>The hash of <paramref name="content"/>.</summary>
    public static string Of(ReadOnlySpan<byte> content) => Prefix + Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>Whether <paramref name="hash"/> is a hash a store could have produced.</summary>
    public static bool IsValid(string? hash) =>
        hash is not null
        && hash.Length == Prefix.Length + 64
        && hash.StartsWith(Prefix, StringComparison.Ordinal)
        && hash.AsSpan(Prefix.Length).IndexOfAnyExcept(LowerHexDigits) < 0;

    /// <summary>
    /// Refuses what is not a hash a store could have produced: blob-backed stores turn the hash into a blob name (and
    /// a URL path), and a malformed one is a caller bug better reported than answered with "unknown".
    /// </summary>
    public static void Validate(string hash)
    {
        ArgumentNullException.ThrowIfNull(hash);
        if (!IsValid(hash))
        {
            throw new ArgumentException($"'{hash}' is not an artifact hash (sha256: followed by 64 lowercase hex digits)", nameof(hash));
        }
    }
}
