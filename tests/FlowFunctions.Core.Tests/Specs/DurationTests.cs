using FlowFunctions.Core.Specs;

namespace FlowFunctions.Core.Tests.Specs;

public class DurationTests
{
    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("2s", 2_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1d", 86_400_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("PT2S", 2_000)]
    [InlineData("PT1H30M", 5_400_000)]
    [InlineData("P1D", 86_400_000)]
    [InlineData("P1W", 604_800_000)]
    [InlineData("PT0.25S", 250)]
    [InlineData("0s", 0)]
    public void TryParse_AcceptsShortAndIsoForms(string text, long milliseconds)
    {
        Duration.TryParse(text, out var value, out var error).ShouldBeTrue(error);

        value.ShouldBe(TimeSpan.FromMilliseconds(milliseconds));
    }

    [Theory]
    [InlineData("30", "has no unit")]
    [InlineData("soon", "is not a duration")]
    [InlineData("5 minutes", "is not a duration")]
    [InlineData("-5s", "is not a duration")]
    [InlineData("P", "is not a duration")]
    [InlineData("PT", "is not a duration")]
    [InlineData("P1Y", "is not a duration")]
    [InlineData("400d", "longer than the limit")]
    public void TryParse_RejectsWithAnActionableMessage(string text, string message)
    {
        Duration.TryParse(text, out _, out var error).ShouldBeFalse();

        error!.ShouldContain(message);
    }

    [Theory]
    [InlineData(5_400_000, "1h30m")]
    [InlineData(250, "250ms")]
    [InlineData(0, "0s")]
    [InlineData(90_061_001, "1d1h1m1s1ms")]
    public void Format_UsesTheShortForm(long milliseconds, string expected)
    {
        Duration.Format(TimeSpan.FromMilliseconds(milliseconds)).ShouldBe(expected);
    }
}
