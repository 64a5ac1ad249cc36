namespace FlowFunctions.Core.Parsing;

/// <summary>The text formats a FlowSpec may be written in.</summary>
public enum SpecFormat
{
    /// <summary>YAML 1.2 (core schema).</summary>
    Yaml,

    /// <summary>JSON (RFC 8259).</summary>
    Json,
}

/// <summary>Chooses a <see cref="SpecFormat"/> from a file name or from content.</summary>
public static class SpecFormats
{
    /// <summary>The format implied by a file extension, or null when the extension is not one we read.</summary>
    public static SpecFormat? FromFileName(string path) =>
        Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".yaml" or ".yml" => SpecFormat.Yaml,
            ".json" => SpecFormat.Json,
            _ => null,
        };

    /// <summary>JSON when the first non-blank character opens an object, otherwise YAML (used for specs sent as text).</summary>
    public static SpecFormat Sniff(string text)
    {
        foreach (var c in text)
        {
            if (!char.IsWhiteSpace(c) && c != '\uFEFF')
            {
                return c == '{' ? SpecFormat.Json : SpecFormat.Yaml;
            }
        }

        return SpecFormat.Yaml;
    }
}
