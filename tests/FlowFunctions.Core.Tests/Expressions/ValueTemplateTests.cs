using System.Text.Json.Nodes;
using FlowFunctions.Core.Expressions;

namespace FlowFunctions.Core.Tests.Expressions;

public class ValueTemplateTests
{
    private static ValueTemplate Compile(string json, out List<TemplateError> errors)
    {
        errors = [];
        return ValueTemplate.Compile(JsonNode.Parse(json), errors);
    }

    private static ValueTemplate CompileOk(string json)
    {
        ValueTemplate template = Compile(json, out List<TemplateError> errors);
        errors.ShouldBeEmpty();
        return template;
    }

    private static string Resolve(string json) =>
        JsonValues.ToJson(CompileOk(json).Resolve(ExpressionTestScope.Create()));

    [Theory]
    [InlineData("\"${{ inputs.count }}\"", "3")]
    [InlineData("\"${{inputs.count}}\"", "3")]
    [InlineData("\"  ${{ inputs.count }}  \"", "3")]
    [InlineData("\"${{ inputs.tags }}\"", "[\"a\",\"b\",\"c\"]")]
    [InlineData("\"${{ inputs.flag }}\"", "true")]
    [InlineData("\"${{ inputs.missing }}\"", "null")]
    [InlineData("\"${{ inputs.nested }}\"", "{\"x\":1,\"list\":[{\"v\":10},{\"v\":20}]}")]
    public void WholeValueExpression_KeepsItsJsonType(string json, string expected) =>
        Resolve(json).ShouldBe(expected);

    [Theory]
    [InlineData("\"Hello ${{ inputs.name }}!\"", "\"Hello World!\"")]
    [InlineData("\"n=${{ inputs.count }}\"", "\"n=3\"")]
    [InlineData("\"${{ inputs.count }}${{ inputs.count }}\"", "\"33\"")]
    [InlineData("\"${{ inputs.count }} ${{ inputs.ratio }}\"", "\"3 0.5\"")]
    [InlineData("\"[${{ inputs.missing }}]\"", "\"[]\"")]
    [InlineData("\"b=${{ inputs.flag }}\"", "\"b=true\"")]
    [InlineData("\"t=${{ inputs.tags }}\"", "\"t=[\\\"a\\\",\\\"b\\\",\\\"c\\\"]\"")]
    [InlineData("\"o=${{ fromJson('{\\\"a\\\": 1}') }}\"", "\"o={\\\"a\\\":1}\"")]
    [InlineData("\"x ${{ '}}' }} y\"", "\"x }} y\"")]
    [InlineData("\"x ${{ 'it''s }}' }} y\"", "\"x it's }} y\"")]
    [InlineData("\"${{ 1 }}}\"", "\"1}\"")]
    [InlineData("\"no expression here, just $ and {{ }}\"", "\"no expression here, just $ and {{ }}\"")]
    public void MixedText_Interpolates(string json, string expected) =>
        Resolve(json).ShouldBe(expected);

    [Fact]
    public void NestedStructure_ResolvesEveryString()
    {
        string json = """
            {
              "name": "${{ inputs.name }}",
              "files": ["a.txt", "${{ inputs.tags[1] }}.txt", { "n": "${{ index }}" }],
              "fixed": { "k": [1, 2, { "z": null }] },
              "num": 5
            }
            """;
        ValueTemplate template = CompileOk(json);
        template.IsConstant.ShouldBeFalse();
        template.Expressions.Select(e => e.Source).ShouldBe(["inputs.name", "inputs.tags[1]", "index"]);
        JsonValues.ToJson(template.Resolve(ExpressionTestScope.Create()))
            .ShouldBe("{\"name\":\"World\",\"files\":[\"a.txt\",\"b.txt\",{\"n\":2}],\"fixed\":{\"k\":[1,2,{\"z\":null}]},\"num\":5}");
    }

    [Theory]
    [InlineData("null")]
    [InlineData("1")]
    [InlineData("\"plain\"")]
    [InlineData("{\"a\": [1, \"b\", {\"c\": null}]}")]
    public void ConstantValue_IsConstant_AndResolvesToAFreshCopy(string json)
    {
        JsonNode? source = JsonNode.Parse(json);
        var errors = new List<TemplateError>();
        ValueTemplate template = ValueTemplate.Compile(source, errors);
        errors.ShouldBeEmpty();
        template.IsConstant.ShouldBeTrue();
        template.Expressions.ShouldBeEmpty();

        JsonNode? first = template.Resolve(ExpressionScope.Empty);
        JsonNode? second = template.Resolve(ExpressionScope.Empty);
        JsonValues.ToJson(first).ShouldBe(JsonValues.ToJson(source));
        if (source is not null)
        {
            first.ShouldNotBeSameAs(source);
            first.ShouldNotBeSameAs(second);
            first!.Parent.ShouldBeNull();
        }
    }

    [Fact]
    public void Compile_CopiesTheSource_SoLaterMutationsDoNotLeak()
    {
        var source = new JsonObject { ["a"] = 1, ["b"] = "${{ inputs.count }}" };
        ValueTemplate template = ValueTemplate.Compile(source, new List<TemplateError>());
        source["a"] = 2;
        JsonValues.ToJson(template.Resolve(ExpressionTestScope.Create())).ShouldBe("{\"a\":1,\"b\":3}");
    }

    [Fact]
    public void Resolve_ResultsCanBeAttachedToOtherTrees()
    {
        ValueTemplate template = CompileOk("""{ "x": "${{ inputs.nested }}" }""");
        ExpressionScope scope = ExpressionTestScope.Create();
        var host = new JsonArray(template.Resolve(scope), template.Resolve(scope));
        host.Count.ShouldBe(2);
    }

    [Theory]
    [InlineData("\"${{ inputs.a\"", "", "unclosed '${{' (missing '}}')")]
    [InlineData("\"${{ '}}' \"", "", "unclosed '${{' (missing '}}')")]
    [InlineData("\"${{ }}\"", "", "empty expression '${{ }}'")]
    [InlineData("\"a ${{}} b\"", "", "empty expression '${{ }}'")]
    [InlineData("\"${{ foo }}\"", "", "invalid expression 'foo': unknown name 'foo' at position 0")]
    [InlineData("\"${{ 1 + }}\"", "", "invalid expression '1 +': unexpected end of expression at position 3")]
    public void InvalidString_ReportsTemplateError(string json, string path, string message)
    {
        Compile(json, out List<TemplateError> errors);
        errors.Count.ShouldBe(1);
        errors[0].Path.ShouldBe(path);
        errors[0].Message.ShouldStartWith(message);
    }

    [Fact]
    public void NestedErrors_AreAllReported_WithEscapedPointerPaths()
    {
        string json = """
            {
              "ok": "${{ inputs.a }}",
              "files": ["fine", "${{ nope }}", { "a/b": "${{ 1 + }}" }],
              "t~x": "${{ unclosed",
              "many": "${{ bad1 }} and ${{ bad2 }}"
            }
            """;
        Compile(json, out List<TemplateError> errors);
        errors.Select(e => e.Path).ShouldBe(["/files/1", "/files/2/a~1b", "/t~0x", "/many", "/many"]);
        errors[0].Message.ShouldContain("unknown name 'nope'");
        errors[2].Message.ShouldBe("unclosed '${{' (missing '}}')");
        errors[4].Message.ShouldContain("bad2");
    }

    [Fact]
    public void Expressions_AreListedInDocumentOrder_IncludingSeveralPerString()
    {
        ValueTemplate template = CompileOk("""["${{ inputs.a }}-${{ inputs.b }}", {"k": "${{ nodes.x.output }}"}]""");
        template.Expressions.Select(e => e.Source).ShouldBe(["inputs.a", "inputs.b", "nodes.x.output"]);
        template.Expressions.SelectMany(e => e.ReferencedNodes).ShouldBe(["x"]);
    }

    [Fact]
    public void Resolve_EvaluationFailure_NamesThePath()
    {
        ValueTemplate template = CompileOk("""{ "files": ["${{ 'a' * 2 }}"] }""");
        ExpressionEvaluationException error = Should.Throw<ExpressionEvaluationException>(() => template.Resolve(ExpressionScope.Empty));
        error.Message.ShouldBe("at /files/0: operator '*' needs numbers, got string and integer");

        ValueTemplate root = CompileOk("\"x ${{ 1 / 0 }}\"");
        Should.Throw<ExpressionEvaluationException>(() => root.Resolve(ExpressionScope.Empty))
            .Message.ShouldBe("at the template root: division by zero");
    }

    [Fact]
    public void Compile_NullErrors_ThrowsArgumentNull() =>
        Should.Throw<ArgumentNullException>(() => ValueTemplate.Compile(null, null!));
}
