namespace FlowFunctions.Core.Validation;

/// <summary>One problem in a spec, where it is and what to do about it.</summary>
/// <param name="Path">JSON-pointer-style path of the offending value (<c>/nodes/3/needs/0</c>; <c>""</c> for the document).</param>
/// <param name="Line">1-based line in the file.</param>
/// <param name="Column">1-based column in the file.</param>
/// <param name="Message">A message a spec author can act on.</param>
public sealed record SpecError(string Path, int Line, int Column, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Line}:{Column}: {(Path.Length == 0 ? "/" : Path)}: {Message}";
}
