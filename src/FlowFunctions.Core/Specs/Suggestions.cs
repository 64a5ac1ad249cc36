namespace FlowFunctions.Core.Specs;

/// <summary>"Did you mean" hints for misspelt names.</summary>
public static class Suggestions
{
    /// <summary>The closest candidate within a small edit distance, or null.</summary>
    public static string? Closest(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = EditDistance(name.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        // A hint must share something with the name: "zz" is two edits from "a" but is no misspelling of it.
        if (bestDistance <= Math.Max(2, name.Length / 3) && bestDistance < name.Length)
        {
            return best;
        }

        // Abbreviations such as "int" for "integer" or "bool" for "boolean" are too far apart for the edit distance.
        return name.Length >= 3
            ? candidates.FirstOrDefault(c => c.StartsWith(name, StringComparison.OrdinalIgnoreCase))
            : null;
    }

    /// <summary>"unknown field 'x'" with a hint or the list of allowed fields.</summary>
    public static string UnknownField(string name, IReadOnlyCollection<string> allowed) =>
        Closest(name, allowed) is { } hint
            ? $"unknown field '{name}'; did you mean '{hint}'?"
            : $"unknown field '{name}'; allowed fields are {string.Join(", ", allowed)}";

    /// <summary>", did you mean 'x'?" or an empty string.</summary>
    public static string Hint(string name, IEnumerable<string> candidates) =>
        Closest(name, candidates) is { } hint ? $"; did you mean '{hint}'?" : string.Empty;

    private static int EditDistance(string a, string b)
    {
        if (Math.Abs(a.Length - b.Length) > 8)
        {
            return int.MaxValue;
        }

        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
