using System.Text.Json.Nodes;
using FlowFunctions.Core.Reducers;
using FlowFunctions.Core.Specs;

namespace FlowFunctions.Core.Tests.Reducers;

public class ReducerTests
{
    private static JsonNode? Reduce(ReduceStrategy strategy, string valuesJson, MergeConflict conflict = MergeConflict.Error) =>
        Reducer.Reduce(new ReduceSpec(strategy, conflict), JsonNode.Parse(valuesJson)!.AsArray().ToList());

    [Theory]
    [InlineData(ReduceStrategy.Append, "[[1, 2], 3, [4]]", "[1, 2, 3, 4]")]
    [InlineData(ReduceStrategy.Append, "[{\"a\": 1}, null]", "[{\"a\": 1}, null]")]
    [InlineData(ReduceStrategy.Append, "[]", "[]")]
    [InlineData(ReduceStrategy.Sum, "[1, 2, [3, 4]]", "10")]
    [InlineData(ReduceStrategy.Sum, "[1.5, 2]", "3.5")]
    [InlineData(ReduceStrategy.Sum, "[]", "0")]
    [InlineData(ReduceStrategy.Min, "[3, [1, 7], 2]", "1")]
    [InlineData(ReduceStrategy.Max, "[3, [1, 7], 2]", "7")]
    [InlineData(ReduceStrategy.Min, "[]", "null")]
    [InlineData(ReduceStrategy.First, "[\"a\", \"b\"]", "\"a\"")]
    [InlineData(ReduceStrategy.Last, "[\"a\", \"b\"]", "\"b\"")]
    [InlineData(ReduceStrategy.First, "[]", "null")]
    [InlineData(ReduceStrategy.Merge, "[{\"a\": {\"x\": 1}}, {\"a\": {\"y\": 2}, \"b\": 3}]", "{\"a\": {\"x\": 1, \"y\": 2}, \"b\": 3}")]
    [InlineData(ReduceStrategy.Merge, "[{\"a\": 1}, {\"a\": 1}]", "{\"a\": 1}")]
    [InlineData(ReduceStrategy.Merge, "[]", "{}")]
    public void Reduce_CombinesInDeclaredOrder(ReduceStrategy strategy, string values, string expected)
    {
        JsonNode.DeepEquals(Reduce(strategy, values), JsonNode.Parse(expected)).ShouldBeTrue(Reduce(strategy, values)?.ToJsonString());
    }

    [Fact]
    public void Merge_ConflictingScalar_FailsWithThePathUnlessAConflictRuleIsSet()
    {
        const string values = "[{\"a\": {\"x\": 1}}, {\"a\": {\"x\": 2}}]";

        Should.Throw<ReductionException>(() => Reduce(ReduceStrategy.Merge, values)).Message.ShouldContain("/a/x");
        Reduce(ReduceStrategy.Merge, values, MergeConflict.Last)!["a"]!["x"]!.GetValue<long>().ShouldBe(2);
        Reduce(ReduceStrategy.Merge, values, MergeConflict.First)!["a"]!["x"]!.GetValue<long>().ShouldBe(1);
    }

    [Theory]
    [InlineData(ReduceStrategy.Sum, "[1, \"2\"]", "a string")]
    [InlineData(ReduceStrategy.Max, "[null]", "null")]
    [InlineData(ReduceStrategy.Merge, "[{\"a\": 1}, [1]]", "an array")]
    public void Reduce_ValuesOfTheWrongType_FailClearly(ReduceStrategy strategy, string values, string message)
    {
        Should.Throw<ReductionException>(() => Reduce(strategy, values)).Message.ShouldContain(message);
    }

    [Fact]
    public void Sum_LargeIntegers_FallBackToDoubleInsteadOfOverflowing()
    {
        Reduce(ReduceStrategy.Sum, $"[{long.MaxValue}, 1]")!.GetValue<double>().ShouldBeGreaterThan(9e18);
    }
}
