using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Parsing;

/// <summary>
/// A parsed spec file: its JSON value tree plus where every value and key came from, so that
/// validation can report line and column for a JSON-pointer path in YAML and JSON alike.
/// </summary>
public sealed class SourceDocument
{
    private readonly Dictionary<string, SourcePosition> _values;
    private readonly Dictionary<string, SourcePosition> _keys;

    internal SourceDocument(JsonNode? root, Dictionary<string, SourcePosition> values, Dictionary<string, SourcePosition> keys)
    {
        Root = root;
        _values = values;
        _keys = keys;
    }

    /// <summary>The document's value.</summary>
    public JsonNode? Root { get; }

    /// <summary>
    /// The position of the value at <paramref name="path"/>; for a path that does not exist (a missing field),
    /// the position of its nearest existing ancestor.
    /// </summary>
    public SourcePosition PositionOf(string path)
    {
        var current = path;
        while (true)
        {
            if (_values.TryGetValue(current, out var position))
            {
                return position;
            }

            if (current.Length == 0)
            {
                return SourcePosition.Start;
            }

            current = current[..current.LastIndexOf('/')];
        }
    }

    /// <summary>The position of the key of the member at <paramref name="path"/>, falling back to <see cref="PositionOf"/>.</summary>
    public SourcePosition KeyPositionOf(string path) =>
        _keys.TryGetValue(path, out var position) ? position : PositionOf(path);
}
