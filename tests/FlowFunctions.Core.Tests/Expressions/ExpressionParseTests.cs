using FlowFunctions.Core.Expressions;
using static FlowFunctions.Core.Tests.Expressions.ExpressionTestScope;

namespace FlowFunctions.Core.Tests.Expressions;

public class ExpressionParseTests
{
    [Fact]
    public void Parse_KeepsSource() =>
        Expression.Parse(" inputs.a ").Source.ShouldBe(" inputs.a ");

    [Fact]
    public void Parse_Null_ThrowsArgumentNull() =>
        Should.Throw<ArgumentNullException>(() => Expression.Parse(null!));

    [Theory]
    [InlineData("", 0, "empty expression")]
    [InlineData("   ", 0, "empty expression")]
    [InlineData("(1 + 2))", 7, "unexpected ')' at position 7")]
    [InlineData("1 +", 3, "unexpected end of expression at position 3")]
    [InlineData("1 2", 2, "unexpected number 2 at position 2")]
    [InlineData("(1", 2, "expected ')' at position 2 but found end of expression")]
    [InlineData("inputs.", 7, "expected a property name after '.' at position 7 but found end of expression")]
    [InlineData("inputs[0", 8, "expected ']' at position 8 but found end of expression")]
    [InlineData("'abc", 0, "unterminated string")]
    [InlineData("1 = 1", 2, "did you mean '=='?")]
    [InlineData("a & b", 2, "did you mean '&&'?")]
    [InlineData("1 | 2", 2, "did you mean '||'?")]
    [InlineData("\"x\"", 0, "strings use single quotes")]
    [InlineData("1 # 2", 2, "unexpected character '#' at position 2")]
    [InlineData("1e", 0, "exponent needs digits")]
    [InlineData("12abc", 0, "invalid number at position 0")]
    [InlineData("1e999", 0, "number 1e999 at position 0 is out of range")]
    [InlineData("foo", 0, "unknown name 'foo' at position 0; expected one of inputs, nodes, input, item, index, run")]
    [InlineData("1 + bar.x", 4, "unknown name 'bar'")]
    [InlineData("inputs.a-b - c", 13, "unknown name 'c'")]
    [InlineData("count-1", 0, "names may contain '-'")]
    [InlineData("inputs.a- 1", 10, "names may contain '-', so write subtraction with spaces")]
    [InlineData("nodes", 5, "expected '.<id>' or ['<id>'] after 'nodes'")]
    [InlineData("nodes.a", 7, "expected '.output' or '.status' after 'nodes.a' at position 7")]
    [InlineData("nodes.a.result", 7, "expected '.output' or '.status' after 'nodes.a'")]
    [InlineData("nodes[inputs.id].output", 6, "node references must be static")]
    [InlineData("nodes['a' + 'b'].output", 6, "node references must be static")]
    [InlineData("nodes['not valid'].output", 6, "'not valid' at position 6 is not a valid node id")]
    [InlineData("nodes[0].output", 6, "node references must be static")]
    [InlineData("run", 3, "expected '.id' or '.startedAt' after 'run'")]
    [InlineData("run.name", 3, "expected '.id' or '.startedAt' after 'run' at position 3")]
    [InlineData("nope(1)", 0, "unknown function 'nope' at position 0; known functions are coalesce, contains, endsWith, format, fromJson, if, join, keys, length, max, min, split, startsWith, sum, toJson, values")]
    [InlineData("length()", 0, "function 'length' takes 1 argument but got 0")]
    [InlineData("1 + length(1, 2)", 4, "function 'length' takes 1 argument but got 2 (at position 4)")]
    [InlineData("join()", 0, "function 'join' takes 1 to 2 arguments but got 0")]
    [InlineData("if(1, 2)", 0, "function 'if' takes 3 arguments but got 2")]
    [InlineData("format()", 0, "function 'format' takes at least 1 argument but got 0")]
    [InlineData("length(1,)", 9, "unexpected ')' at position 9")]
    [InlineData("length(1 2)", 9, "expected ',' or ')' at position 9 but found number 2")]
    [InlineData("inputs.a(1)", 8, "only built-in functions can be called")]
    [InlineData("inputs.(a)", 7, "expected a property name after '.'")]
    [InlineData("inputs.1", 7, "expected a property name")]
    [InlineData("inputs..a", 7, "expected a property name")]
    [InlineData("* 2", 0, "unexpected '*' at position 0")]
    public void Parse_InvalidText_ThrowsSyntaxErrorWithPosition(string source, int position, string messagePart)
    {
        ExpressionSyntaxException error = SyntaxError(source);
        error.Message.ShouldContain(messagePart);
        error.Position.ShouldBe(position);
    }

    [Fact]
    public void Parse_IdentifierWithDash_IsOneName_ButSpacedMinusSubtracts()
    {
        Expression.Parse("inputs.a-b").ReferencedInputs.ShouldBe(["a-b"]);
        Expression.Parse("inputs.a - inputs.b").ReferencedInputs.ShouldBe(["a", "b"]);
        Eval("inputs.count - 1").ShouldBe("2");
        Eval("inputs.count-1").ShouldBe("null");
    }

    [Fact]
    public void Parse_ExtractsRootsNodesAndInputs()
    {
        Expression e = Expression.Parse(
            "inputs.a + inputs['b'] + inputs[item.k] + length(nodes.x.output) + nodes['y-1'].status + nodes.x.status + input + index + run.id + inputs.a");
        e.Roots.ShouldBe(["inputs", "item", "nodes", "input", "index", "run"]);
        e.ReferencedNodes.ShouldBe(["x", "y-1"]);
        e.ReferencedInputs.ShouldBe(["a", "b"]);
    }

    [Fact]
    public void Parse_LiteralOnly_HasNoReferences()
    {
        Expression e = Expression.Parse("1 + 2");
        e.Roots.ShouldBeEmpty();
        e.ReferencedNodes.ShouldBeEmpty();
        e.ReferencedInputs.ShouldBeEmpty();
    }

    [Fact]
    public void Parse_NestedPropertiesOfInputs_AreNotReportedAsInputs()
    {
        Expression e = Expression.Parse("inputs.a.b['c'] + toJson(inputs)");
        e.ReferencedInputs.ShouldBe(["a"]);
        e.Roots.ShouldBe(["inputs"]);
    }

    [Fact]
    public void Parse_KeywordsAsPropertyNames_AreAllowed() =>
        Eval("fromJson('{\"true\":1,\"null\":2,\"if\":3}').true + fromJson('{\"null\":2}').null").ShouldBe("3");

    [Fact]
    public void Parse_TooLongText_IsRejected()
    {
        string source = "1" + string.Concat(Enumerable.Repeat(" + 1", 2500));
        source.Length.ShouldBeGreaterThan(10_000);
        SyntaxError(source).Message.ShouldContain("too long");
    }

    [Fact]
    public void Parse_NestingUpToTheLimit_IsAccepted()
    {
        string source = new string('(', 64) + "1" + new string(')', 64);
        Expression.Parse(source).Evaluate(ExpressionScope.Empty)!.GetValue<long>().ShouldBe(1);
    }

    [Theory]
    [InlineData(65, "(", ")")]
    [InlineData(65, "!", "")]
    [InlineData(65, "-", "")]
    [InlineData(65, "length(", ")")]
    [InlineData(65, "inputs[", "]")]
    [InlineData(3000, "(", ")")]
    [InlineData(5000, "!", "")]
    public void Parse_DeepNesting_IsASyntaxErrorNotAStackOverflow(int depth, string open, string close)
    {
        string source = string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth));
        SyntaxError(source).Message.ShouldContain("nested too deeply");
    }

    [Fact]
    public void Parse_LongOperatorChains_AreBoundedToo()
    {
        Expression.Parse("1" + string.Concat(Enumerable.Repeat(" + 1", 400))).Evaluate(ExpressionScope.Empty)!.GetValue<long>().ShouldBe(401);
        SyntaxError("1" + string.Concat(Enumerable.Repeat("+1", 1000))).Message.ShouldContain("too complex");
        SyntaxError("inputs" + string.Concat(Enumerable.Repeat(".a", 1000))).Message.ShouldContain("too complex");
    }

    [Fact]
    public void SyntaxException_HasStandardConstructors()
    {
        new ExpressionSyntaxException().Position.ShouldBe(0);
        new ExpressionSyntaxException("m").Message.ShouldBe("m");
        new ExpressionSyntaxException("m", 5).Position.ShouldBe(5);
        new ExpressionSyntaxException("m", new InvalidOperationException()).InnerException.ShouldNotBeNull();
        new ExpressionEvaluationException().Message.ShouldNotBeEmpty();
        new ExpressionEvaluationException("m", null).Message.ShouldBe("m");
    }
}
