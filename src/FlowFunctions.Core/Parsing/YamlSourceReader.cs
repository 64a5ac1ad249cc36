using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace FlowFunctions.Core.Parsing;

/// <summary>
/// Reads one YAML document into a JSON value tree with positions. Plain scalars resolve by the YAML 1.2
/// core schema, so YAML and JSON specs give the same values; aliases are expanded under a budget.
/// </summary>
internal sealed partial class YamlSourceReader
{
    private readonly Parser _parser;
    private readonly Dictionary<string, SourcePosition> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SourcePosition> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JsonNode?> _anchors = new(StringComparer.Ordinal);
    private int _aliasBudget = SourceLimits.MaxAliasExpansion;

    private YamlSourceReader(string text) => _parser = new Parser(new StringReader(text));

    public static SourceDocument Read(string text)
    {
        var reader = new YamlSourceReader(text);
        try
        {
            return reader.ReadStream();
        }
        catch (YamlException ex) when (ex.Message.Contains("tab", StringComparison.OrdinalIgnoreCase) && FirstTabIndent(text) is { } tab)
        {
            // YamlDotNet reports a tab in indentation at the start of the enclosing mapping (often 1:1); point at the tab.
            throw new SourceSyntaxException("YAML syntax error: tabs are not allowed for indentation; indent with spaces", tab);
        }
        catch (YamlException ex)
        {
            throw new SourceSyntaxException("YAML syntax error: " + ex.Message, new SourcePosition((int)ex.Start.Line, (int)ex.Start.Column));
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            // YamlDotNet's scanner throws these on some malformed input instead of a YamlException.
            var at = reader._parser.Current?.Start;
            throw new SourceSyntaxException("YAML syntax error: the document is not well-formed", at is null ? SourcePosition.Start : new SourcePosition((int)at.Value.Line, (int)at.Value.Column));
        }
    }

    private static SourcePosition? FirstTabIndent(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var indent = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
            var tab = lines[i].IndexOf('\t', StringComparison.Ordinal);
            if (tab >= 0 && tab < indent)
            {
                return new SourcePosition(i + 1, tab + 1);
            }
        }

        return null;
    }

    private SourceDocument ReadStream()
    {
        // YamlDotNet's Current is the look-ahead event: MoveNext once to load it.
        _parser.MoveNext();
        Expect<StreamStart>();
        if (Peek() is StreamEnd)
        {
            return new SourceDocument(null, _values, _keys);
        }

        Expect<DocumentStart>();
        var root = ReadNode(string.Empty, depth: 0);
        Expect<DocumentEnd>();
        if (Peek() is not StreamEnd)
        {
            throw new SourceSyntaxException("a spec file holds exactly one YAML document; remove the extra '---' section", Position(Peek()));
        }

        return new SourceDocument(root, _values, _keys);
    }

    private JsonNode? ReadNode(string path, int depth)
    {
        var current = Next();

        // depth counts from 0 at the root, so the 65th nested mapping or sequence is at depth 64; scalars are no nesting.
        if (depth >= SourceLimits.MaxDepth && current is SequenceStart or MappingStart)
        {
            throw new SourceSyntaxException($"nesting deeper than {SourceLimits.MaxDepth} levels", Position(current));
        }

        _values[path] = Position(current);
        JsonNode? node = current switch
        {
            Scalar scalar => ResolveScalar(scalar),
            SequenceStart => ReadSequence(path, depth),
            MappingStart => ReadMapping(path, depth),
            AnchorAlias alias => ExpandAlias(alias),
            _ => throw new SourceSyntaxException($"unexpected YAML {current.GetType().Name}", Position(current)),
        };

        if (current is NodeEvent { Anchor.IsEmpty: false } anchored)
        {
            _anchors[anchored.Anchor.Value] = node;
        }

        return node;
    }

    private JsonArray ReadSequence(string path, int depth)
    {
        var array = new JsonArray();
        while (Peek() is not SequenceEnd)
        {
            array.Add(ReadNode(JsonPointer.Append(path, array.Count), depth + 1));
        }

        Next();
        return array;
    }

    private JsonObject ReadMapping(string path, int depth)
    {
        var mapping = new JsonObject();
        while (Peek() is not MappingEnd)
        {
            var keyEvent = Next();
            if (keyEvent is not Scalar key)
            {
                throw new SourceSyntaxException("mapping keys must be plain strings", Position(keyEvent));
            }

            if (key.Value == "<<" && key.Style == ScalarStyle.Plain)
            {
                // YAML 1.1 merge keys are not part of YAML 1.2; without this they would read as an unknown field "<<".
                throw new SourceSyntaxException("YAML merge keys ('<<') are not supported; write the fields out in full", Position(key));
            }

            var memberPath = JsonPointer.Append(path, key.Value);
            if (mapping.ContainsKey(key.Value))
            {
                throw new SourceSyntaxException($"duplicate key '{key.Value}'", Position(key));
            }

            _keys[memberPath] = Position(key);
            mapping[key.Value] = ReadNode(memberPath, depth + 1);
        }

        Next();
        return mapping;
    }

    private JsonNode? ExpandAlias(AnchorAlias alias)
    {
        if (!_anchors.TryGetValue(alias.Value.Value, out var target))
        {
            throw new SourceSyntaxException($"unknown alias '*{alias.Value.Value}'", Position(alias));
        }

        _aliasBudget -= CountValues(target);
        if (_aliasBudget < 0)
        {
            throw new SourceSyntaxException($"YAML aliases expand to more than {SourceLimits.MaxAliasExpansion} values; the document looks like an alias bomb", Position(alias));
        }

        return target?.DeepClone();
    }

    private static int CountValues(JsonNode? node) => node switch
    {
        JsonObject o => 1 + o.Sum(p => CountValues(p.Value)),
        JsonArray a => 1 + a.Sum(CountValues),
        _ => 1,
    };

    private static JsonNode? ResolveScalar(Scalar scalar)
    {
        var value = scalar.Value;
        if (!scalar.Tag.IsEmpty)
        {
            return ResolveTagged(scalar);
        }

        if (scalar.Style is not ScalarStyle.Plain)
        {
            return JsonValue.Create(value);
        }

        return value switch
        {
            "" or "~" or "null" or "Null" or "NULL" => null,
            "true" or "True" or "TRUE" => JsonValue.Create(true),
            "false" or "False" or "FALSE" => JsonValue.Create(false),
            _ => ResolveNumber(scalar) ?? JsonValue.Create(value),
        };
    }

    private static JsonNode? ResolveTagged(Scalar scalar)
    {
        var tag = scalar.Tag.Value;
        return tag switch
        {
            "tag:yaml.org,2002:str" or "!" => JsonValue.Create(scalar.Value),
            "tag:yaml.org,2002:null" => null,
            "tag:yaml.org,2002:bool" or "tag:yaml.org,2002:int" or "tag:yaml.org,2002:float" => ResolveTyped(scalar, tag[(tag.LastIndexOf(':') + 1)..]),
            _ => throw new SourceSyntaxException($"unsupported YAML tag '{tag}'", Position(scalar)),
        };
    }

    // A plain scalar that does not resolve to the tagged type would otherwise silently become a string or null.
    private static JsonNode ResolveTyped(Scalar scalar, string type)
    {
        var value = ResolveScalar(new Scalar(AnchorName.Empty, TagName.Empty, scalar.Value, ScalarStyle.Plain, true, false, scalar.Start, scalar.End));
        var kind = value?.GetValueKind();
        var matches = type switch
        {
            "bool" => kind is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False,
            "int" => kind is System.Text.Json.JsonValueKind.Number && value is JsonValue v && v.TryGetValue<long>(out _),
            _ => kind is System.Text.Json.JsonValueKind.Number,
        };
        return matches ? value! : throw new SourceSyntaxException($"'{scalar.Value}' is not a valid {type}", Position(scalar));
    }

    private static JsonValue? ResolveNumber(Scalar scalar)
    {
        var number = ResolveNumber(scalar.Value);
        if (number is not null && number.TryGetValue<double>(out var d) && !double.IsFinite(d))
        {
            // JSON has no infinity: such a value could not be written back (or rendered in a message) later.
            throw new SourceSyntaxException($"the number '{scalar.Value}' is too large", Position(scalar));
        }

        return number;
    }

    private static JsonValue? ResolveNumber(string text)
    {
        if (DecimalInteger().IsMatch(text))
        {
            return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)
                ? JsonValue.Create(l)
                : JsonValue.Create(double.Parse(text, CultureInfo.InvariantCulture));
        }

        if (text.StartsWith("0o", StringComparison.Ordinal) && OctalDigits().IsMatch(text[2..]))
        {
            return JsonValue.Create(Convert.ToInt64(text[2..], 8));
        }

        if (text.StartsWith("0x", StringComparison.Ordinal) && HexDigits().IsMatch(text[2..]))
        {
            return JsonValue.Create(long.Parse(text[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
        }

        if (Float().IsMatch(text))
        {
            return JsonValue.Create(double.Parse(text, CultureInfo.InvariantCulture));
        }

        // .inf and .nan have no JSON form; they stay strings so that JSON and YAML agree.
        return null;
    }

    private ParsingEvent Next()
    {
        var current = _parser.Current ?? throw new SourceSyntaxException("unexpected end of the document", SourcePosition.Start);
        _parser.MoveNext();
        return current;
    }

    private ParsingEvent? Peek() => _parser.Current;

    private void Expect<T>()
        where T : ParsingEvent
    {
        var e = Next();
        if (e is not T)
        {
            throw new SourceSyntaxException($"unexpected YAML {e.GetType().Name}", Position(e));
        }
    }

    private static SourcePosition Position(ParsingEvent? e) =>
        e is null ? SourcePosition.Start : new SourcePosition((int)e.Start.Line, (int)e.Start.Column);

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex DecimalInteger();

    [GeneratedRegex(@"^[0-7]{1,21}$")]
    private static partial Regex OctalDigits();

    [GeneratedRegex(@"^[0-9a-fA-F]{1,15}$")]
    private static partial Regex HexDigits();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();
}
