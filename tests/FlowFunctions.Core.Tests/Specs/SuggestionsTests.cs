using FlowFunctions.Core.Specs;

namespace FlowFunctions.Core.Tests.Specs;

public class SuggestionsTests
{
    [Theory]
    [InlineData("need", "needs")]
    [InlineData("int", "integer")]
    [InlineData("bool", "boolean")]
    [InlineData("Transform", "transform")]
    public void Closest_MisspeltOrAbbreviatedName_SuggestsTheCandidate(string name, string expected)
    {
        Suggestions.Closest(name, ["needs", "integer", "boolean", "transform"]).ShouldBe(expected);
    }

    [Theory]
    [InlineData("zz")]
    [InlineData("<<")]
    [InlineData("webhook")]
    public void Closest_NameSharingNothing_SuggestsNothing(string name)
    {
        Suggestions.Closest(name, ["a", "id", "echo", "http"]).ShouldBeNull();
    }
}
