using System.Text;

namespace FlowFunctions.Storage;

/// <summary>
/// Queue bodies too large for one message travel as a reference to an artifact, <c>@sha256:&lt;hex&gt;</c>. A queue
/// store resolves them when it dequeues; a body delivered by someone else (an Azure Functions queue trigger) is
/// resolved with <see cref="ResolveAsync"/>. Our bodies are JSON, which never starts with <c>@</c>.
/// </summary>
public static class QueueBody
{
    /// <summary>The first character of a reference.</summary>
    public const string ArtifactMarker = "@";

    /// <summary>The body itself, or the artifact a reference names.</summary>
    /// <param name="artifacts">Where large bodies are stored.</param>
    /// <param name="delivered">The message text as delivered (already base64 decoded).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="InvalidDataException">The reference names a missing artifact.</exception>
    public static async Task<string> ResolveAsync(IArtifactStore artifacts, string delivered, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifacts);
        ArgumentNullException.ThrowIfNull(delivered);
        if (!delivered.StartsWith(ArtifactMarker + "sha256:", StringComparison.Ordinal))
        {
            return delivered;
        }

        var hash = delivered[ArtifactMarker.Length..];
        var bytes = await artifacts.GetAsync(hash, cancellationToken)
            ?? throw new InvalidDataException($"a queue message refers to body {hash}, which is missing");
        return Encoding.UTF8.GetString(bytes);
    }
}
