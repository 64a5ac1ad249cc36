using System.Collections.Immutable;
using System.Globalization;
using FlowFunctions.Core.Runs;

namespace FlowFunctions.Core.Specs;

/// <summary>
/// <c>retry.retryOn</c>: which transient failures are retried. Permanent failures are never retried, whatever it lists.
/// Entries: <c>transient</c> (every transient failure, the default), <c>timeout</c>, <c>connection</c>, <c>5xx</c>, and
/// the retryable HTTP statuses 408, 429 and 500–599.
/// </summary>
public sealed record RetryOn
{
    /// <summary>Every transient failure: the entry used when <c>retryOn</c> is absent.</summary>
    public const string TransientEntry = "transient";

    /// <summary>The named entries a spec may list, besides HTTP statuses.</summary>
    public static readonly ImmutableArray<string> Words = [TransientEntry, "timeout", "connection", "5xx"];

    private RetryOn(ImmutableArray<string> entries) => Entries = entries;

    /// <summary>The default: every transient failure.</summary>
    public static RetryOn Transient { get; } = new([TransientEntry]);

    /// <summary>The canonical entries: distinct, in a stable order (words first, then statuses ascending).</summary>
    public ImmutableArray<string> Entries { get; }

    /// <summary>Builds a selector from entries already checked with <see cref="TryParseEntry"/>.</summary>
    public static RetryOn Of(IEnumerable<string> entries)
    {
        var distinct = entries.Distinct(StringComparer.Ordinal).ToList();
        if (distinct.Count == 0)
        {
            throw new ArgumentException("retryOn needs at least one entry", nameof(entries));
        }

        return new([.. distinct.OrderBy(e => Words.IndexOf(e) is var i and >= 0 ? i : Words.Length).ThenBy(e => e, StringComparer.Ordinal)]);
    }

    /// <summary>
    /// Checks one entry as a spec writes it (a word, a status number, or a status as a string) and returns its canonical
    /// form; on failure <paramref name="error"/> says why in words a spec author can act on.
    /// </summary>
    public static bool TryParseEntry(string text, out string entry, out string? error)
    {
        entry = text.Trim();
        error = null;
        if (Words.Contains(entry, StringComparer.Ordinal))
        {
            return true;
        }

        if (int.TryParse(entry, NumberStyles.None, CultureInfo.InvariantCulture, out var status))
        {
            entry = status.ToString(CultureInfo.InvariantCulture);
            if (IsRetryableStatus(status))
            {
                return true;
            }

            error = status is >= 100 and <= 599
                ? $"{status} is a permanent status and is never retried; retryable statuses are 408, 429 and 500-599"
                : $"{status} is not an HTTP status; retryable statuses are 408, 429 and 500-599";
            return false;
        }

        var hint = Suggestions.Hint(entry, Words);
        error = $"'{text}' is not a retryOn entry" + (hint.Length > 0 ? hint : $"; use {string.Join(", ", Words)} or a retryable HTTP status (408, 429, 500-599)");
        return false;
    }

    /// <summary>Whether a failure of this class, kind and HTTP status may be retried under this selector.</summary>
    public bool Matches(ErrorClass errorClass, ErrorKind kind, int? status)
    {
        if (errorClass != ErrorClass.Transient)
        {
            return false;
        }

        foreach (var entry in Entries)
        {
            var match = entry switch
            {
                TransientEntry => true,
                "timeout" => kind == ErrorKind.Timeout,
                "connection" => kind == ErrorKind.Connection,
                "5xx" => kind == ErrorKind.HttpStatus && status is >= 500 and <= 599,
                _ => kind == ErrorKind.HttpStatus && status?.ToString(CultureInfo.InvariantCulture) == entry,
            };
            if (match)
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc/>
    public bool Equals(RetryOn? other) => other is not null && Entries.SequenceEqual(other.Entries);

    /// <inheritdoc/>
    public override int GetHashCode() => string.Join(",", Entries).GetHashCode(StringComparison.Ordinal);

    /// <inheritdoc/>
    public override string ToString() => "[" + string.Join(", ", Entries) + "]";

    /// <summary>Whether an HTTP status can go away on retry: 408, 429 and 500-599 (every other status is permanent).</summary>
    public static bool IsRetryableStatus(int status) => status is 408 or 429 or (>= 500 and <= 599);
}
