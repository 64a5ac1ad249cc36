using System.Globalization;
using System.Text;

namespace FlowFunctions.Storage.Azure;

/// <summary>
/// Maps our partition and row keys to Table keys. The Table service forbids '/', '\', '#', '?' and control characters
/// in PartitionKey and RowKey, and '%' is unreliable in point-operation URLs; each such character, every non-ASCII one
/// and the escape character '~' itself become <c>~XXXX</c> (the UTF-16 code unit in upper-case hex). The mapping is
/// per character and prefix-free, so "key starts with p" holds exactly when "escaped key starts with escaped p", and
/// escaped keys are printable ASCII, so a prefix is one contiguous RowKey range on the server.
/// </summary>
internal static class TableKeyEscaping
{
    private const char EscapeChar = '~';

    public static string Escape(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var index = 0;
        while (index < key.Length && !NeedsEscape(key[index]))
        {
            index++;
        }

        if (index == key.Length)
        {
            return key;
        }

        var builder = new StringBuilder(key.Length + 16).Append(key, 0, index);
        for (; index < key.Length; index++)
        {
            var c = key[index];
            if (NeedsEscape(c))
            {
                builder.Append(EscapeChar).Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    public static string Unescape(string escaped)
    {
        ArgumentNullException.ThrowIfNull(escaped);
        if (!escaped.Contains(EscapeChar, StringComparison.Ordinal))
        {
            return escaped;
        }

        var builder = new StringBuilder(escaped.Length);
        for (var index = 0; index < escaped.Length; index++)
        {
            var c = escaped[index];
            if (c != EscapeChar)
            {
                builder.Append(c);
                continue;
            }

            if (index + 4 >= escaped.Length
                || !ushort.TryParse(escaped.AsSpan(index + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
            {
                throw new FormatException($"'{escaped}' is not an escaped table key");
            }

            builder.Append((char)code);
            index += 4;
        }

        return builder.ToString();
    }

    /// <summary>The smallest escaped key greater than every escaped key starting with <paramref name="escapedPrefix"/>.</summary>
    public static string PrefixUpperBound(string escapedPrefix)
    {
        // Escaped keys never end inside an escape sequence and their characters are printable ASCII below '~', so
        // bumping the last character stays inside the alphabet.
        var last = escapedPrefix[^1];
        return string.Concat(escapedPrefix.AsSpan(0, escapedPrefix.Length - 1), ((char)(last + 1)).ToString());
    }

    private static bool NeedsEscape(char c) => c is < ' ' or > '}' or '/' or '\\' or '#' or '?' or '%';
}
