using System.Text.Json.Nodes;
using FlowFunctions.Core.Expressions;
using static FlowFunctions.Core.Tests.Expressions.ExpressionTestScope;

namespace FlowFunctions.Core.Tests.Expressions;

public class ExpressionOperatorTests
{
    [Theory]
    [InlineData("1", "1")]
    [InlineData("1.5", "1.5")]
    [InlineData("1e3", "1000")]
    [InlineData("2.5E-1", "0.25")]
    [InlineData("'it''s'", "\"it's\"")]
    [InlineData("''", "\"\"")]
    [InlineData("true", "true")]
    [InlineData("false", "false")]
    [InlineData("null", "null")]
    [InlineData("  42  ", "42")]
    public void Literals_Evaluate_ToTheirJsonValue(string source, string expected) =>
        Eval(source).ShouldBe(expected);

    [Fact]
    public void IntegerLiteral_IsLongValued_AndDecimalLiteralIsDouble()
    {
        Expression.Parse("7").Evaluate(ExpressionScope.Empty)!.AsValue().TryGetValue(out long l).ShouldBeTrue();
        l.ShouldBe(7);
        Expression.Parse("7.0").Evaluate(ExpressionScope.Empty)!.AsValue().TryGetValue(out double d).ShouldBeTrue();
        d.ShouldBe(7.0);
    }

    [Fact]
    public void HugeIntegerLiteral_FallsBackToDouble() =>
        Eval("99999999999999999999").ShouldBe("1E+20");

    [Theory]
    [InlineData("1 + 2", "3")]
    [InlineData("5 - 7", "-2")]
    [InlineData("6 * 7", "42")]
    [InlineData("6 / 2", "3")]
    [InlineData("7 / 2", "3.5")]
    [InlineData("1.5 + 1.5", "3")]
    [InlineData("0.1 * 10", "1")]
    [InlineData("-3", "-3")]
    [InlineData("--3", "3")]
    [InlineData("- 2.5", "-2.5")]
    [InlineData("'a' + 'b'", "\"ab\"")]
    [InlineData("inputs.count * 2", "6")]
    [InlineData("inputs.ratio * 4", "2")]
    [InlineData("9223372036854775807 + 1", "9.223372036854776E+18")]
    [InlineData("9223372036854775807 * 2", "1.8446744073709552E+19")]
    [InlineData("-9223372036854775807 - 1", "-9223372036854775808")]
    [InlineData("-9223372036854775807 - 2", "-9.223372036854776E+18")]
    public void Arithmetic_ComputesExpectedValue(string source, string expected) =>
        Eval(source).ShouldBe(expected);

    [Fact]
    public void IntegralArithmetic_StaysLong()
    {
        Expression.Parse("6 / 2").Evaluate(ExpressionScope.Empty)!.AsValue().TryGetValue(out long v).ShouldBeTrue();
        v.ShouldBe(3);
    }

    [Theory]
    [InlineData("'a' * 2", "operator '*' needs numbers, got string and integer")]
    [InlineData("2 - 'a'", "operator '-' needs numbers, got integer and string")]
    [InlineData("1.5 / true", "operator '/' needs numbers, got number and boolean")]
    [InlineData("'a' + 1", "operator '+' needs two numbers or two strings, got string and integer")]
    [InlineData("null + 1", "operator '+' needs two numbers or two strings, got null and integer")]
    [InlineData("inputs.tags + inputs.tags", "operator '+' needs two numbers or two strings, got array and array")]
    [InlineData("-'a'", "operator '-' needs a number, got string")]
    [InlineData("1 / 0", "division by zero")]
    [InlineData("1.5 / 0.0", "division by zero")]
    [InlineData("1e308 * 10", "result of operator '*' is out of range")]
    public void Arithmetic_OnWrongTypes_ThrowsEvaluationError(string source, string message) =>
        EvalError(source).Message.ShouldBe(message);

    [Theory]
    [InlineData("1 == 1.0", "true")]
    [InlineData("1 != 1.0", "false")]
    [InlineData("'a' == 'a'", "true")]
    [InlineData("'a' == 'A'", "false")]
    [InlineData("null == null", "true")]
    [InlineData("inputs.missing == null", "true")]
    [InlineData("1 == '1'", "false")]
    [InlineData("true == 1", "false")]
    [InlineData("inputs.tags == fromJson('[\"a\",\"b\",\"c\"]')", "true")]
    [InlineData("inputs.nested == fromJson('{\"list\":[{\"v\":10},{\"v\":20.0}],\"x\":1}')", "true")]
    [InlineData("inputs.nested == fromJson('{\"x\":1}')", "false")]
    [InlineData("inputs.tags != fromJson('[\"a\",\"b\"]')", "true")]
    [InlineData("1 < 2", "true")]
    [InlineData("2 <= 2", "true")]
    [InlineData("3 > 2.5", "true")]
    [InlineData("2 >= 2.0", "true")]
    [InlineData("2 > 3", "false")]
    [InlineData("'a' < 'b'", "true")]
    [InlineData("'B' < 'a'", "true")]
    [InlineData("'abc' >= 'abd'", "false")]
    public void Comparison_ComputesExpectedValue(string source, string expected) =>
        Eval(source).ShouldBe(expected);

    [Theory]
    [InlineData("1 < 'a'", "operator '<' needs two numbers or two strings, got integer and string")]
    [InlineData("null >= 1", "operator '>=' needs two numbers or two strings, got null and integer")]
    [InlineData("true > false", "operator '>' needs two numbers or two strings, got boolean and boolean")]
    public void OrderingComparison_OnMixedTypes_ThrowsEvaluationError(string source, string message) =>
        EvalError(source).Message.ShouldBe(message);

    [Theory]
    [InlineData("1 + 2 * 3", "7")]
    [InlineData("(1 + 2) * 3", "9")]
    [InlineData("10 - 4 - 3", "3")]
    [InlineData("24 / 4 / 2", "3")]
    [InlineData("-2 * 3", "-6")]
    [InlineData("1 + 2 == 3", "true")]
    [InlineData("1 < 2 == true", "true")]
    [InlineData("2 > 1 && 3 > 2", "true")]
    [InlineData("false && true || true", "true")]
    [InlineData("true || false && false", "true")]
    [InlineData("!true == false", "true")]
    [InlineData("!(1 == 1)", "false")]
    [InlineData("- inputs.count + 10", "7")]
    [InlineData("inputs.tags[0] + inputs.tags[-1]", "\"ac\"")]
    public void Precedence_FollowsTheDocumentedOrder(string source, string expected) =>
        Eval(source).ShouldBe(expected);

    [Theory]
    [InlineData("true && 'x'", "\"x\"")]
    [InlineData("0 && 'x'", "0")]
    [InlineData("'' || 'fallback'", "\"fallback\"")]
    [InlineData("inputs.name || 'fallback'", "\"World\"")]
    [InlineData("inputs.missing || inputs.zero", "0")]
    [InlineData("null && 1", "null")]
    [InlineData("!0", "true")]
    [InlineData("!''", "true")]
    [InlineData("!'x'", "false")]
    [InlineData("!null", "true")]
    [InlineData("!inputs.tags", "false")]
    public void LogicalOperators_ReturnTheDecidingOperand(string source, string expected) =>
        Eval(source).ShouldBe(expected);

    [Theory]
    [InlineData("false && 1 / 0", "false")]
    [InlineData("true || 1 / 0", "true")]
    [InlineData("inputs.missing && inputs.name.foo", "null")]
    public void LogicalOperators_ShortCircuit(string source, string expected) =>
        Eval(source).ShouldBe(expected);

    [Theory]
    [InlineData(null, false)]
    [InlineData("false", false)]
    [InlineData("0", false)]
    [InlineData("0.0", false)]
    [InlineData("\"\"", false)]
    [InlineData("true", true)]
    [InlineData("1", true)]
    [InlineData("-0.5", true)]
    [InlineData("\"false\"", true)]
    [InlineData("[]", true)]
    [InlineData("{}", true)]
    public void IsTruthy_FollowsTheRules(string? json, bool expected) =>
        Expression.IsTruthy(json is null ? null : JsonNode.Parse(json)).ShouldBe(expected);

    [Fact]
    public void IsTruthy_HandlesClrBackedValues()
    {
        Expression.IsTruthy(JsonValue.Create(0)).ShouldBeFalse();
        Expression.IsTruthy(JsonValue.Create(0.0)).ShouldBeFalse();
        Expression.IsTruthy(JsonValue.Create(2m)).ShouldBeTrue();
        Expression.IsTruthy(JsonValue.Create(string.Empty)).ShouldBeFalse();
        Expression.IsTruthy(JsonValue.Create('x')).ShouldBeTrue();
    }
}
