using System.Text;

namespace FlowFunctions.Core.Parsing;

/// <summary>Parses spec text in either format into a <see cref="SourceDocument"/>.</summary>
public static class SourceReader
{
    /// <summary>Parses <paramref name="text"/>; throws <see cref="SourceSyntaxException"/> for malformed or oversized input.</summary>
    public static SourceDocument Read(string text, SpecFormat format)
    {
        ArgumentNullException.ThrowIfNull(text);
        var size = Encoding.UTF8.GetByteCount(text);
        if (size > SourceLimits.MaxSpecBytes)
        {
            throw new SourceSyntaxException($"the spec is {size} bytes; the limit is {SourceLimits.MaxSpecBytes} bytes (1 MiB)", SourcePosition.Start);
        }

        return format == SpecFormat.Json ? JsonSourceReader.Read(text) : YamlSourceReader.Read(text);
    }
}
