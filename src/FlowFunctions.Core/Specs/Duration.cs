using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace FlowFunctions.Core.Specs;

/// <summary>
/// Durations as specs write them: <c>250ms</c>, <c>2s</c>, <c>5m</c>, <c>1h</c>, <c>1d</c>, combinations such as
/// <c>1h30m</c>, and ISO 8601 (<c>PT2S</c>, <c>P1DT2H</c>, <c>P2W</c>).
/// </summary>
public static partial class Duration
{
    /// <summary>The longest duration a spec may state (365 days).</summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(365);

    /// <summary>Parses a duration; on failure <paramref name="error"/> says why, in words a spec author can act on.</summary>
    public static bool TryParse(string text, out TimeSpan value, out string? error)
    {
        value = TimeSpan.Zero;
        var trimmed = text.Trim();
        var match = Short().Match(trimmed);
        if (match.Success && trimmed.Length > 0)
        {
            var ticks = 0.0;
            foreach (Capture part in match.Groups["part"].Captures)
            {
                var unitMatch = ShortPart().Match(part.Value);
                var amount = double.Parse(unitMatch.Groups[1].Value, CultureInfo.InvariantCulture);
                ticks += amount * UnitTicks(unitMatch.Groups[2].Value);
            }

            return Finish(ticks, text, out value, out error);
        }

        var iso = Iso().Match(trimmed);
        if (iso.Success && trimmed.Length > 1 && trimmed != "PT")
        {
            double Group(string name) => iso.Groups[name].Success ? double.Parse(iso.Groups[name].Value, CultureInfo.InvariantCulture) : 0;
            var ticks = (Group("w") * 7 * TimeSpan.TicksPerDay) + (Group("d") * TimeSpan.TicksPerDay) + (Group("h") * TimeSpan.TicksPerHour)
                + (Group("m") * TimeSpan.TicksPerMinute) + (Group("s") * TimeSpan.TicksPerSecond);
            return Finish(ticks, text, out value, out error);
        }

        error = long.TryParse(trimmed, out _)
            ? $"'{text}' has no unit; write e.g. '{trimmed}s' or '{trimmed}ms'"
            : $"'{text}' is not a duration; use e.g. 250ms, 2s, 5m, 1h, 1d, 1h30m or ISO 8601 such as PT2S";
        return false;
    }

    /// <summary>Formats a duration in the short form (<c>1h30m</c>, <c>250ms</c>).</summary>
    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
        {
            return "0s";
        }

        var text = new StringBuilder();
        void Part(long amount, string unit)
        {
            if (amount > 0)
            {
                text.Append(amount.ToString(CultureInfo.InvariantCulture)).Append(unit);
            }
        }

        Part(value.Days, "d");
        Part(value.Hours, "h");
        Part(value.Minutes, "m");
        Part(value.Seconds, "s");
        Part(value.Milliseconds, "ms");
        return text.ToString();
    }

    private static bool Finish(double ticks, string text, out TimeSpan value, out string? error)
    {
        value = TimeSpan.Zero;
        if (ticks > Max.Ticks)
        {
            error = $"'{text}' is longer than the limit of 365 days";
            return false;
        }

        value = TimeSpan.FromTicks((long)ticks);
        error = null;
        return true;
    }

    private static double UnitTicks(string unit) => unit switch
    {
        "ms" => TimeSpan.TicksPerMillisecond,
        "s" => TimeSpan.TicksPerSecond,
        "m" => TimeSpan.TicksPerMinute,
        "h" => TimeSpan.TicksPerHour,
        _ => TimeSpan.TicksPerDay,
    };

    [GeneratedRegex(@"^(?<part>[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h|d))+$")]
    private static partial Regex Short();

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)$")]
    private static partial Regex ShortPart();

    [GeneratedRegex(@"^P(?:(?<w>[0-9]+)W)?(?:(?<d>[0-9]+)D)?(?:T(?:(?<h>[0-9]+)H)?(?:(?<m>[0-9]+)M)?(?:(?<s>[0-9]+(?:\.[0-9]+)?)S)?)?$")]
    private static partial Regex Iso();
}
