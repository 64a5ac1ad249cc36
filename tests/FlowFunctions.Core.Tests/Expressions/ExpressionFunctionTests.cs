using FlowFunctions.Core.Expressions;
using static FlowFunctions.Core.Tests.Expressions.ExpressionTestScope;

namespace FlowFunctions.Core.Tests.Expressions;

public class ExpressionFunctionTests
{
    [Theory]
    [InlineData("length('hello')", "5")]
    [InlineData("length('')", "0")]
    [InlineData("length(inputs.tags)", "3")]
    [InlineData("length(inputs.nested)", "2")]
    [InlineData("length(null)", "0")]
    [InlineData("length(inputs.missing)", "0")]
    [InlineData("contains('hello', 'ell')", "true")]
    [InlineData("contains('hello', 'ELL')", "false")]
    [InlineData("contains('hello', '')", "true")]
    [InlineData("contains(inputs.tags, 'b')", "true")]
    [InlineData("contains(inputs.tags, 'd')", "false")]
    [InlineData("contains(fromJson('[1, {\"a\": [2]}]'), fromJson('{\"a\": [2.0]}'))", "true")]
    [InlineData("contains(fromJson('[1, 2]'), 2.0)", "true")]
    [InlineData("contains(fromJson('[null]'), null)", "true")]
    [InlineData("contains(null, 'x')", "false")]
    [InlineData("startsWith('hello', 'he')", "true")]
    [InlineData("startsWith('hello', 'He')", "false")]
    [InlineData("startsWith(null, 'x')", "false")]
    [InlineData("endsWith('hello', 'llo')", "true")]
    [InlineData("endsWith('hello', 'hel')", "false")]
    [InlineData("join(inputs.tags)", "\"a,b,c\"")]
    [InlineData("join(inputs.tags, ' | ')", "\"a | b | c\"")]
    [InlineData("join(fromJson('[1, 2.5, true, null, \"s\", [1], {\"a\":1}]'), ';')", "\"1;2.5;true;;s;[1];{\\\"a\\\":1}\"")]
    [InlineData("join(fromJson('[]'))", "\"\"")]
    [InlineData("join(null)", "\"\"")]
    [InlineData("join(inputs.tags, null)", "\"a,b,c\"")]
    [InlineData("split('a,b,,c', ',')", "[\"a\",\"b\",\"\",\"c\"]")]
    [InlineData("split('a--b', '--')", "[\"a\",\"b\"]")]
    [InlineData("split('', ',')", "[\"\"]")]
    [InlineData("split(null, ',')", "[]")]
    [InlineData("format('Hello {0}!', inputs.name)", "\"Hello World!\"")]
    [InlineData("format('{1}{0}{1}', 'a', 'b')", "\"bab\"")]
    [InlineData("format('{{{0}}}', 1)", "\"{1}\"")]
    [InlineData("format('{{}}')", "\"{}\"")]
    [InlineData("format('{0}|{1}|{2}|{3}', null, true, 1.5, inputs.tags)", "\"|true|1.5|[\\\"a\\\",\\\"b\\\",\\\"c\\\"]\"")]
    [InlineData("format('no placeholders')", "\"no placeholders\"")]
    [InlineData("toJson(inputs.nested)", "\"{\\\"x\\\":1,\\\"list\\\":[{\\\"v\\\":10},{\\\"v\\\":20}]}\"")]
    [InlineData("toJson(null)", "\"null\"")]
    [InlineData("toJson('é')", "\"\\\"é\\\"\"")]
    [InlineData("toJson(7 / 2)", "\"3.5\"")]
    [InlineData("fromJson('{\"a\": [1, 2]}').a[1]", "2")]
    [InlineData("fromJson('null')", "null")]
    [InlineData("fromJson(toJson(inputs.nested)) == inputs.nested", "true")]
    [InlineData("keys(inputs.nested)", "[\"x\",\"list\"]")]
    [InlineData("keys(null)", "[]")]
    [InlineData("values(fromJson('{\"a\":1,\"b\":[2]}'))", "[1,[2]]")]
    [InlineData("values(inputs.nested)[1][0].v", "10")]
    [InlineData("values(null)", "[]")]
    [InlineData("sum(1, 2, 3)", "6")]
    [InlineData("sum(1, 2.5)", "3.5")]
    [InlineData("sum(nodes.fetch.output.items)", "6")]
    [InlineData("sum(fromJson('[]'))", "0")]
    [InlineData("sum(4)", "4")]
    [InlineData("sum(9223372036854775807, 1)", "9.223372036854776E+18")]
    [InlineData("min(3, 1, 2)", "1")]
    [InlineData("min(nodes.fetch.output.items)", "1")]
    [InlineData("min(fromJson('[]'))", "null")]
    [InlineData("min(2, 1.5)", "1.5")]
    [InlineData("max(3, 1, 2)", "3")]
    [InlineData("max(fromJson('[1, 5.5, 2]'))", "5.5")]
    [InlineData("max(fromJson('[]'))", "null")]
    [InlineData("coalesce(null, inputs.missing, 'x', 'y')", "\"x\"")]
    [InlineData("coalesce(inputs.missing)", "null")]
    [InlineData("coalesce(inputs.zero, 5)", "0")]
    [InlineData("coalesce(inputs.empty, 5)", "\"\"")]
    [InlineData("if(inputs.flag, 'yes', 'no')", "\"yes\"")]
    [InlineData("if(inputs.zero, 'yes', 'no')", "\"no\"")]
    [InlineData("if(true, inputs.nested.x, 0)", "1")]
    public void Function_ComputesExpectedValue(string source, string expected) =>
        Eval(source).ShouldBe(expected);

    [Theory]
    [InlineData("if(true, 1, 1 / 0)", "1")]
    [InlineData("if(false, 1 / 0, 2)", "2")]
    [InlineData("if(inputs.missing, inputs.name.x, 'safe')", "\"safe\"")]
    [InlineData("coalesce(1, 1 / 0)", "1")]
    public void LazyFunctions_EvaluateOnlyWhatTheyNeed(string source, string expected) =>
        Eval(source).ShouldBe(expected);

    [Theory]
    [InlineData("length(1)", "length(): needs a string, an array or an object, got integer")]
    [InlineData("length(true)", "length(): needs a string, an array or an object, got boolean")]
    [InlineData("contains('abc', 1)", "contains(): searching a string needs a string to search for, got integer")]
    [InlineData("contains(1, 1)", "contains(): needs a string or an array to search in, got integer")]
    [InlineData("contains(inputs.nested, 'x')", "contains(): needs a string or an array to search in, got object")]
    [InlineData("startsWith(1, 'a')", "startsWith(): needs two strings, got integer and string")]
    [InlineData("endsWith('a', null)", "endsWith(): needs two strings, got string and null")]
    [InlineData("join('abc')", "join(): needs an array, got string")]
    [InlineData("join(inputs.tags, 1)", "join(): the separator must be a string, got integer")]
    [InlineData("split(1, ',')", "split(): needs a string to split, got integer")]
    [InlineData("split('a', 1)", "split(): the separator must be a string, got integer")]
    [InlineData("split('a', '')", "split(): the separator must not be empty")]
    [InlineData("format(1)", "format(): the format must be a string, got integer")]
    [InlineData("format('{1}', 'a')", "format(): placeholder {1} has no argument (1 given)")]
    [InlineData("format('{0}')", "format(): placeholder {0} has no argument (0 given)")]
    [InlineData("format('{x}', 1)", "format(): invalid placeholder '{x}' at index 0; placeholders look like {0}")]
    [InlineData("format('{-1}', 1)", "format(): invalid placeholder '{-1}' at index 0; placeholders look like {0}")]
    [InlineData("format('{99999999999}', 1)", "format(): invalid placeholder '{99999999999}' at index 0; placeholders look like {0}")]
    [InlineData("format('a {0', 1)", "format(): unclosed '{' at index 2 (write '{{' for a literal brace)")]
    [InlineData("format('a } b')", "format(): unmatched '}' at index 2 (write '}}' for a literal brace)")]
    [InlineData("fromJson(1)", "fromJson(): needs a string, got integer")]
    [InlineData("fromJson(null)", "fromJson(): needs a string, got null")]
    [InlineData("keys(inputs.tags)", "keys(): needs an object, got array")]
    [InlineData("values('x')", "values(): needs an object, got string")]
    [InlineData("sum(1, 'a')", "sum(): needs numbers (one array of numbers, or numbers as arguments), got string")]
    [InlineData("sum(inputs.tags)", "sum(): needs numbers (one array of numbers, or numbers as arguments), got string")]
    [InlineData("sum(null)", "sum(): needs numbers (one array of numbers, or numbers as arguments), got null")]
    [InlineData("min(1, null)", "min(): needs numbers (one array of numbers, or numbers as arguments), got null")]
    [InlineData("max(inputs.nested)", "max(): needs numbers (one array of numbers, or numbers as arguments), got object")]
    [InlineData("sum(1e308, 1e308)", "sum(): the result is out of range")]
    public void Function_OnWrongTypes_ThrowsEvaluationError(string source, string message) =>
        EvalError(source).Message.ShouldBe(message);

    [Theory]
    [InlineData("fromJson('{')")]
    [InlineData("fromJson('')")]
    [InlineData("fromJson('[1,]')")]
    public void FromJson_InvalidJson_ThrowsEvaluationError(string source) =>
        EvalError(source).Message.ShouldStartWith("fromJson(): the text is not valid JSON");

    [Fact]
    public void FromJson_TooDeep_ThrowsEvaluationError()
    {
        string deep = new string('[', 100) + new string(']', 100);
        EvalError($"fromJson('{deep}')").Message.ShouldStartWith("fromJson(): the text is not valid JSON");
    }

    [Fact]
    public void Functions_AreCaseSensitive() =>
        SyntaxError("Length('x')").Message.ShouldContain("unknown function 'Length'");
}
