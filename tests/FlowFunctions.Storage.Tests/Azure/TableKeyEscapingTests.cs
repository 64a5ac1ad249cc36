using FlowFunctions.Storage.Azure;

namespace FlowFunctions.Storage.Tests.Azure;

/// <summary>Row and partition keys survive the trip through the Table service's forbidden characters.</summary>
public sealed class TableKeyEscapingTests
{
    [Theory]
    [InlineData("node|a", "node|a")]
    [InlineData("inbox|a:1:done", "inbox|a:1:done")]
    [InlineData("a/b", "a~002Fb")]
    [InlineData("a\\b#c?d%e", "a~005Cb~0023c~003Fd~0025e")]
    [InlineData("tab\tnl\n", "tab~0009nl~000A")]
    [InlineData("~", "~007E")]
    [InlineData("caf\u00e9", "caf~00E9")]
    [InlineData("", "")]
    public void Escape_KnownKeys_GiveExpectedForm(string key, string escaped)
    {
        TableKeyEscaping.Escape(key).ShouldBe(escaped);
        TableKeyEscaping.Unescape(escaped).ShouldBe(key);
    }

    [Fact]
    public void Escape_AnyString_RoundTripsAndStaysInTheServiceAlphabet()
    {
        // A fixed seed: the same 500 keys every run, drawn from all of UTF-16 (lone surrogates included).
        var random = new Random(20250301);
        for (var sample = 0; sample < 500; sample++)
        {
            var key = new string(Enumerable.Range(0, random.Next(0, 40)).Select(_ => (char)random.Next(0, 0x10000)).ToArray());
            var escaped = TableKeyEscaping.Escape(key);

            TableKeyEscaping.Unescape(escaped).ShouldBe(key);
            escaped.ShouldAllBe(c => c >= ' ' && c <= '~' && c != '/' && c != '\\' && c != '#' && c != '?' && c != '%');
        }
    }

    [Theory]
    [InlineData("node|", "node|a/b", true)]
    [InlineData("node|", "node}", false)]
    [InlineData("a/", "a/\u00e9", true)]
    [InlineData("a/", "a0", false)]
    [InlineData("caf\u00e9", "caf\u00e9s", true)]
    [InlineData("caf\u00e9", "caf\u00e8", false)]
    public void PrefixRange_ContainsExactlyTheKeysWithThePrefix(string prefix, string key, bool inside)
    {
        var lower = TableKeyEscaping.Escape(prefix);
        var upper = TableKeyEscaping.PrefixUpperBound(lower);
        var escaped = TableKeyEscaping.Escape(key);

        var inRange = string.CompareOrdinal(escaped, lower) >= 0 && string.CompareOrdinal(escaped, upper) < 0;

        inRange.ShouldBe(inside);
        key.StartsWith(prefix, StringComparison.Ordinal).ShouldBe(inside);
    }

    [Theory]
    [InlineData("~12")]
    [InlineData("a~zzzz")]
    public void Unescape_Malformed_ThrowsFormatException(string escaped)
    {
        Should.Throw<FormatException>(() => TableKeyEscaping.Unescape(escaped));
    }
}
