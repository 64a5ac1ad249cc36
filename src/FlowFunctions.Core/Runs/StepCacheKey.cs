using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Expressions;

namespace FlowFunctions.Core.Runs;

/// <summary>
/// Where a node's output is cached: entries are scoped to the workflow and the node, and within them named by a
/// SHA-256 hash of what makes two executions interchangeable.
/// </summary>
/// <param name="Workflow">The workflow name.</param>
/// <param name="NodeId">The node id.</param>
/// <param name="Hash">Lowercase hex SHA-256 (see <see cref="For"/>).</param>
/// <param name="Ttl">How long a new entry may be used.</param>
public sealed record StepCacheKey(string Workflow, string NodeId, string Hash, TimeSpan Ttl)
{
    /// <summary>
    /// The key of one execution. Without a custom key the hash covers the node type, the resolved input and the version;
    /// with one it covers the key's evaluated value and the version. Values are hashed as canonical JSON (object members
    /// sorted by name, no whitespace), so member order in the spec or an upstream output does not matter.
    /// </summary>
    /// <param name="workflow">The workflow name.</param>
    /// <param name="nodeId">The node id.</param>
    /// <param name="nodeType">The node type.</param>
    /// <param name="input">The resolved input (<c>with</c> after expressions).</param>
    /// <param name="customKey">Whether <paramref name="keyValue"/> is a custom key's value (otherwise it is ignored).</param>
    /// <param name="keyValue">The custom key's evaluated value.</param>
    /// <param name="version">The cache version.</param>
    /// <param name="ttl">How long a new entry may be used.</param>
    public static StepCacheKey For(string workflow, string nodeId, string nodeType, JsonNode? input, bool customKey, JsonNode? keyValue, string version, TimeSpan ttl)
    {
        var material = customKey
            ? $"key\n{JsonValues.Canonical(keyValue)}\n{version}"
            : $"input\n{nodeType}\n{JsonValues.Canonical(input)}\n{version}";
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(material)));
        return new StepCacheKey(workflow, nodeId, hash, ttl);
    }
}
