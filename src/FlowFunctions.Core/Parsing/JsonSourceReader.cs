using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Parsing;

/// <summary>
/// Reads strict JSON into a value tree with positions. System.Text.Json's DOM keeps no positions, so this
/// walks the token stream and maps byte offsets to 1-based lines and columns (columns count characters).
/// </summary>
internal sealed class JsonSourceReader
{
    private readonly byte[] _utf8;
    private readonly List<int> _lineStarts = [0];
    private readonly Dictionary<string, SourcePosition> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SourcePosition> _keys = new(StringComparer.Ordinal);
    private int _lastLine = -1;
    private int _lastOffset;
    private int _lastColumn;

    private JsonSourceReader(byte[] utf8)
    {
        _utf8 = utf8;
        for (var i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] == (byte)'\n')
            {
                _lineStarts.Add(i + 1);
            }
        }
    }

    public static SourceDocument Read(string text)
    {
        var source = new JsonSourceReader(Encoding.UTF8.GetBytes(text));
        if (string.IsNullOrWhiteSpace(text))
        {
            return new SourceDocument(null, source._values, source._keys);
        }

        // The reader's own depth limit sits above ours so that our clearer message is the one users see.
        var reader = new Utf8JsonReader(source._utf8, new JsonReaderOptions { MaxDepth = SourceLimits.MaxDepth * 2 });
        try
        {
            if (!reader.Read())
            {
                return new SourceDocument(null, source._values, source._keys);
            }

            var root = source.ReadValue(ref reader, string.Empty, depth: 0);
            if (reader.Read())
            {
                throw new SourceSyntaxException("JSON syntax error: unexpected content after the end of the document", source.PositionAt(reader.TokenStartIndex));
            }

            return new SourceDocument(root, source._values, source._keys);
        }
        catch (JsonException ex)
        {
            var line = (int)(ex.LineNumber ?? 0) + 1;
            var column = (int)(ex.BytePositionInLine ?? 0) + 1;
            throw new SourceSyntaxException("JSON syntax error: " + CleanMessage(ex.Message), new SourcePosition(line, column));
        }
    }

    private JsonNode? ReadValue(ref Utf8JsonReader reader, string path, int depth)
    {
        var position = PositionAt(reader.TokenStartIndex);

        // depth counts from 0 at the root, so the 65th nested object or array is at depth 64; scalars are no nesting.
        if (depth >= SourceLimits.MaxDepth && reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            throw new SourceSyntaxException($"nesting deeper than {SourceLimits.MaxDepth} levels", position);
        }

        _values[path] = position;
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var obj = new JsonObject();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var name = GetString(ref reader);
                    var memberPath = JsonPointer.Append(path, name);
                    if (obj.ContainsKey(name))
                    {
                        throw new SourceSyntaxException($"duplicate key '{name}'", PositionAt(reader.TokenStartIndex));
                    }

                    _keys[memberPath] = PositionAt(reader.TokenStartIndex);
                    reader.Read();
                    obj[name] = ReadValue(ref reader, memberPath, depth + 1);
                }

                return obj;
            case JsonTokenType.StartArray:
                var array = new JsonArray();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    array.Add(ReadValue(ref reader, JsonPointer.Append(path, array.Count), depth + 1));
                }

                return array;
            case JsonTokenType.String:
                return JsonValue.Create(GetString(ref reader));
            case JsonTokenType.Number:
                if (reader.TryGetInt64(out var l))
                {
                    return JsonValue.Create(l);
                }

                // 1e400 reads as infinity, which no later step could write back as JSON.
                return reader.TryGetDouble(out var d) && double.IsFinite(d)
                    ? JsonValue.Create(d)
                    : throw new SourceSyntaxException($"the number '{Encoding.UTF8.GetString(reader.ValueSpan)}' is too large", position);
            case JsonTokenType.True:
                return JsonValue.Create(true);
            case JsonTokenType.False:
                return JsonValue.Create(false);
            case JsonTokenType.Null:
                return null;
            default:
                throw new SourceSyntaxException($"JSON syntax error: unexpected {reader.TokenType}", position);
        }
    }

    private string GetString(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // GetString throws this (not a JsonException) for an escaped lone surrogate such as "\ud800".
            throw new SourceSyntaxException("JSON syntax error: the string contains an invalid \\u escape (an unpaired surrogate)", PositionAt(reader.TokenStartIndex));
        }
    }

    private SourcePosition PositionAt(long offset)
    {
        var index = _lineStarts.BinarySearch((int)offset);
        var line = index >= 0 ? index : ~index - 1;
        var start = _lineStarts[line];
        var column = 1;

        // Offsets arrive in increasing order: resume from the previous one on the same line, so that a minified
        // spec on a single line costs linear rather than quadratic time.
        if (_lastLine == line && _lastOffset <= offset)
        {
            start = _lastOffset;
            column = _lastColumn;
        }

        for (var i = start; i < offset; i++)
        {
            // Count characters, not bytes: skip UTF-8 continuation bytes.
            if ((_utf8[i] & 0xC0) != 0x80)
            {
                column++;
            }
        }

        (_lastLine, _lastOffset, _lastColumn) = (line, (int)offset, column);
        return new SourcePosition(line + 1, column);
    }

    // System.Text.Json appends its own "LineNumber: x | BytePositionInLine: y." which we report separately.
    private static string CleanMessage(string message)
    {
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        message = cut > 0 ? message[..cut].TrimEnd() : message;

        // Some of System.Text.Json's messages speak to programmers ("change the reader options"); say what to do instead.
        if (message.Contains("trailing comma", StringComparison.Ordinal))
        {
            return "a trailing comma is not allowed in JSON; remove the ',' before the closing bracket";
        }

        if (message.StartsWith("'/' is invalid", StringComparison.Ordinal))
        {
            return "JSON does not allow comments; remove the '//' or '/* */' comment (or write the spec in YAML, which allows '#' comments)";
        }

        return message;
    }
}
