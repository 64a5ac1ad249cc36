using System.Collections.Immutable;
using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Specs;

namespace FlowFunctions.Core.Validation;

/// <summary>Parses and validates FlowSpec v1 text. Never throws for any input text: problems come back as errors.</summary>
public static class SpecLoader
{
    /// <summary>The largest number of nodes a spec may declare.</summary>
    public const int MaxNodes = 10_000;

    /// <summary>Loads a spec from text in the given format.</summary>
    public static SpecLoadResult Load(string text, SpecFormat format, NodeTypeCatalog? catalog = null)
    {
        SourceDocument document;
        try
        {
            document = SourceReader.Read(text, format);
        }
        catch (SourceSyntaxException ex)
        {
            return new SpecLoadResult(null, [new SpecError(string.Empty, ex.Position.Line, ex.Position.Column, ex.Message)]);
        }

        return Load(document, catalog);
    }

    /// <summary>Validates an already parsed document.</summary>
    public static SpecLoadResult Load(SourceDocument document, NodeTypeCatalog? catalog = null)
    {
        var binder = new SpecBinder(document, catalog ?? NodeTypeCatalog.Default);
        var spec = binder.Bind();
        var errors = binder.Errors
            .Distinct()
            .OrderBy(e => e.Line).ThenBy(e => e.Column)
            .ToImmutableArray();
        return new SpecLoadResult(errors.IsEmpty ? spec : null, errors);
    }
}
