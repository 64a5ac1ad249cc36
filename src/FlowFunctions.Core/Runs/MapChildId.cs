using System.Globalization;

namespace FlowFunctions.Core.Runs;

/// <summary>Map children are addressed <c>parent[index]</c>.</summary>
public static class MapChildId
{
    /// <summary>The id of child <paramref name="index"/> of <paramref name="mapId"/>.</summary>
    public static string Format(string mapId, int index) => $"{mapId}[{index.ToString(CultureInfo.InvariantCulture)}]";

    /// <summary>Splits <c>each[3]</c> into its map id and index.</summary>
    public static bool TryParse(string id, out string mapId, out int index)
    {
        mapId = string.Empty;
        index = -1;
        var open = id.LastIndexOf('[');
        if (open <= 0 || !id.EndsWith(']') || !int.TryParse(id.AsSpan(open + 1, id.Length - open - 2), NumberStyles.None, CultureInfo.InvariantCulture, out index))
        {
            return false;
        }

        mapId = id[..open];
        return true;
    }
}
