namespace FlowFunctions.Core.Expressions;

/// <summary>A problem found while compiling a <see cref="ValueTemplate"/>.</summary>
/// <param name="Path">JSON pointer (RFC 6901) of the offending string, relative to the compiled value; "" is the value itself.</param>
/// <param name="Message">User-facing description of the problem.</param>
public sealed record TemplateError(string Path, string Message);
