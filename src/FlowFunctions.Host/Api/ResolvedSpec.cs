using FlowFunctions.Core.Specs;

namespace FlowFunctions.Host.Api;

/// <summary>A validated spec and the exact text that is stored for it (its hash is the spec hash).</summary>
/// <param name="Spec">The spec.</param>
/// <param name="Text">The spec text.</param>
internal sealed record ResolvedSpec(FlowSpec Spec, string Text);
