using FlowFunctions.Core.Expressions;

namespace FlowFunctions.Core.Specs;

/// <summary>
/// A node's <c>cache</c>: a successful output is kept for <see cref="Ttl"/> under a key, and a later execution with the
/// same key (in the same workflow and node) takes it instead of running the handler; the node ends <c>Cached</c>.
/// </summary>
/// <param name="Ttl">How long an entry may be used after it was written.</param>
/// <param name="Version">Part of the key: change it to stop using older entries.</param>
/// <param name="Key">
/// A template evaluated when the node is dispatched (same scope as <c>with</c>), whose value replaces the resolved
/// input in the key; null to key on the node type and the resolved input.
/// </param>
public sealed record CachePolicy(TimeSpan Ttl, string Version, ValueTemplate? Key);
