using System.Text.Json.Nodes;
using FlowFunctions.Core.Expressions;
using static FlowFunctions.Core.Tests.Expressions.ExpressionTestScope;

namespace FlowFunctions.Core.Tests.Expressions;

public class ExpressionNavigationTests
{
    [Theory]
    [InlineData("inputs.name", "\"World\"")]
    [InlineData("inputs['name']", "\"World\"")]
    [InlineData("inputs['my-key']", "\"dash\"")]
    [InlineData("inputs.my-key", "\"dash\"")]
    [InlineData("inputs.nested.x", "1")]
    [InlineData("inputs.nested.list[1].v", "20")]
    [InlineData("inputs.nested['list'][0]['v']", "10")]
    [InlineData("inputs.tags[0]", "\"a\"")]
    [InlineData("inputs.tags[-1]", "\"c\"")]
    [InlineData("inputs.tags[-3]", "\"a\"")]
    [InlineData("inputs.tags[1.0]", "\"b\"")]
    [InlineData("inputs.tags[inputs.count - 2]", "\"b\"")]
    [InlineData("inputs[inputs.tags[0] + 'bc']", "null")]
    [InlineData("inputs['na' + 'me']", "\"World\"")]
    [InlineData("input.value", "10")]
    [InlineData("item.id", "7")]
    [InlineData("item", "{\"id\":7,\"name\":\"seven\"}")]
    [InlineData("index", "2")]
    [InlineData("index + 1", "3")]
    [InlineData("run.id", "\"run-1\"")]
    [InlineData("run.startedAt", "\"2024-01-02T03:04:05.0000000+00:00\"")]
    [InlineData("nodes.fetch.output.items[2]", "3")]
    [InlineData("nodes.fetch.status", "\"Succeeded\"")]
    [InlineData("nodes['a-b'].output", "\"ab\"")]
    [InlineData("nodes.a-b.output", "\"ab\"")]
    [InlineData("nodes.other.output", "null")]
    [InlineData("nodes.other.status", "null")]
    [InlineData("fromJson(inputs.json).k[1]", "2")]
    [InlineData("(inputs.nested).x", "1")]
    public void Navigation_ReadsTheScope(string source, string expected) =>
        Eval(source).ShouldBe(expected);

    [Theory]
    [InlineData("inputs.missing")]
    [InlineData("inputs.missing.deeper.still")]
    [InlineData("inputs.missing[0]")]
    [InlineData("inputs.nothing.x")]
    [InlineData("inputs.tags[3]")]
    [InlineData("inputs.tags[-4]")]
    [InlineData("inputs.tags[9223372036854775807]")]
    [InlineData("inputs.tags[-9223372036854775807]")]
    [InlineData("inputs.tags[null]")]
    [InlineData("nodes.other.output.x.y[0]")]
    [InlineData("null.x")]
    [InlineData("null[0]")]
    public void Navigation_IsNullSafe(string source) =>
        Eval(source).ShouldBe("null");

    [Fact]
    public void EmptyScope_ReadsNullEverywhere()
    {
        foreach (string source in new[] { "inputs", "inputs.a", "input", "item.x", "index", "run.id", "run.startedAt", "nodes.a.output", "nodes.a.status" })
        {
            Expression.Parse(source).Evaluate(ExpressionScope.Empty).ShouldBeNull(source);
        }
    }

    [Theory]
    [InlineData("inputs.name.count", "cannot read property 'count' of a string")]
    [InlineData("inputs.count.x", "cannot read property 'x' of an integer")]
    [InlineData("inputs.ratio.x", "cannot read property 'x' of a number")]
    [InlineData("inputs.flag.x", "cannot read property 'x' of a boolean")]
    [InlineData("inputs.tags.length", "cannot read property 'length' of an array (arrays are read with [index] or length(...))")]
    [InlineData("inputs.tags['x']", "cannot read property 'x' of an array (arrays are read with [index] or length(...))")]
    [InlineData("inputs.name[0]", "cannot index a string with a number")]
    [InlineData("inputs.nested[0]", "cannot index an object with a number (use ['key'] to read a property)")]
    [InlineData("inputs.tags[0.5]", "an array index must be an integer, got 0.5")]
    [InlineData("inputs.tags[true]", "an index must be a number or a string, got boolean")]
    [InlineData("inputs.tags[inputs.tags]", "an index must be a number or a string, got array")]
    public void Navigation_OnWrongType_ThrowsEvaluationError(string source, string message) =>
        EvalError(source).Message.ShouldBe(message);

    [Fact]
    public void Evaluate_ReturnsFreshTrees_ThatCanBeAttachedElsewhere()
    {
        ExpressionScope scope = Create();
        JsonNode? first = Expression.Parse("inputs.nested").Evaluate(scope);
        JsonNode? second = Expression.Parse("inputs.nested").Evaluate(scope);
        first.ShouldNotBeSameAs(second);
        first!.Parent.ShouldBeNull();

        var host = new JsonObject { ["a"] = first, ["b"] = second };
        host["a"]!["x"] = 99;
        scope.Inputs!["nested"]!["x"]!.GetValue<int>().ShouldBe(1);

        JsonNode? root = Expression.Parse("item").Evaluate(scope);
        root.ShouldNotBeSameAs(scope.Item);
        new JsonArray(root, Expression.Parse("input").Evaluate(scope), Expression.Parse("'lit'").Evaluate(scope)).Count.ShouldBe(3);
    }

    [Fact]
    public void Evaluate_AcceptsClrBackedScopeValues()
    {
        var scope = new ExpressionScope
        {
            Inputs = new JsonObject
            {
                ["i"] = 5,
                ["d"] = 2.5,
                ["m"] = 1.5m,
                ["s"] = "x",
                ["c"] = 'q',
                ["g"] = JsonValue.Create(Guid.Empty),
                ["b"] = false,
                ["u"] = JsonValue.Create(7UL),
                ["f"] = JsonValue.Create(0.5f),
                ["n"] = JsonValue.Create(System.Text.Json.JsonDocument.Parse("null").RootElement),
            },
        };

        Eval("inputs.i + inputs.d", scope).ShouldBe("7.5");
        Eval("inputs.m * 2", scope).ShouldBe("3");
        Eval("inputs.s + inputs.c", scope).ShouldBe("\"xq\"");
        Eval("inputs.g", scope).ShouldBe("\"00000000-0000-0000-0000-000000000000\"");
        Eval("length(inputs.g)", scope).ShouldBe("36");
        Eval("inputs.b || inputs.u", scope).ShouldBe("7");
        Eval("inputs.f * 2", scope).ShouldBe("1");
        Eval("inputs.n == null", scope).ShouldBe("true");
        Eval("inputs.n.x", scope).ShouldBe("null");
    }
}
