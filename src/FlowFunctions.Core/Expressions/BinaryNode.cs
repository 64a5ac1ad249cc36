using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Expressions;

/// <summary>Comparison and arithmetic operators; <c>&amp;&amp;</c> and <c>||</c> live in <see cref="LogicalNode"/>.</summary>
internal sealed class BinaryNode(BinaryOperator op, ExpressionNode left, ExpressionNode right, int position)
    : ExpressionNode(position, left, right)
{
    public BinaryOperator Operator { get; } = op;

    public ExpressionNode Left { get; } = left;

    public ExpressionNode Right { get; } = right;

    public static string Symbol(BinaryOperator op) => op switch
    {
        BinaryOperator.Equal => "==",
        BinaryOperator.NotEqual => "!=",
        BinaryOperator.Less => "<",
        BinaryOperator.LessEqual => "<=",
        BinaryOperator.Greater => ">",
        BinaryOperator.GreaterEqual => ">=",
        BinaryOperator.Add => "+",
        BinaryOperator.Subtract => "-",
        BinaryOperator.Multiply => "*",
        _ => "/",
    };

    public override JsonNode? Evaluate(ExpressionScope scope)
    {
        JsonNode? left = JsonValues.Adopt(Left.Evaluate(scope));
        JsonNode? right = JsonValues.Adopt(Right.Evaluate(scope));
        switch (Operator)
        {
            case BinaryOperator.Equal:
                return JsonValue.Create(JsonValues.DeepEquals(left, right));
            case BinaryOperator.NotEqual:
                return JsonValue.Create(!JsonValues.DeepEquals(left, right));
            case BinaryOperator.Less:
                return JsonValue.Create(Compare(left, right) < 0);
            case BinaryOperator.LessEqual:
                return JsonValue.Create(Compare(left, right) <= 0);
            case BinaryOperator.Greater:
                return JsonValue.Create(Compare(left, right) > 0);
            case BinaryOperator.GreaterEqual:
                return JsonValue.Create(Compare(left, right) >= 0);
            case BinaryOperator.Add when JsonValues.TryGetString(left, out string? ls) && JsonValues.TryGetString(right, out string? rs):
                return JsonValue.Create(ls + rs);
            default:
                return Arithmetic(left, right).ToNode();
        }
    }

    private int Compare(JsonNode? left, JsonNode? right)
    {
        if (JsonValues.TryGetNumber(left, out JsonNumber ln) && JsonValues.TryGetNumber(right, out JsonNumber rn))
        {
            return JsonNumber.Compare(ln, rn);
        }

        if (JsonValues.TryGetString(left, out string? ls) && JsonValues.TryGetString(right, out string? rs))
        {
            return string.CompareOrdinal(ls, rs);
        }

        throw new ExpressionEvaluationException(
            $"operator '{Symbol(Operator)}' needs two numbers or two strings, got {JsonValues.TypeName(left)} and {JsonValues.TypeName(right)}");
    }

    private JsonNumber Arithmetic(JsonNode? left, JsonNode? right)
    {
        if (!JsonValues.TryGetNumber(left, out JsonNumber a) || !JsonValues.TryGetNumber(right, out JsonNumber b))
        {
            string needs = Operator == BinaryOperator.Add ? "two numbers or two strings" : "numbers";
            throw new ExpressionEvaluationException(
                $"operator '{Symbol(Operator)}' needs {needs}, got {JsonValues.TypeName(left)} and {JsonValues.TypeName(right)}");
        }

        if (Operator == BinaryOperator.Divide && b.IsZero)
        {
            throw new ExpressionEvaluationException("division by zero");
        }

        if (a.IsIntegral && b.IsIntegral && TryIntegral(a.Integral, b.Integral, out long exact))
        {
            return JsonNumber.FromLong(exact);
        }

        double x = a.AsDouble;
        double y = b.AsDouble;
        double result = Operator switch
        {
            BinaryOperator.Add => x + y,
            BinaryOperator.Subtract => x - y,
            BinaryOperator.Multiply => x * y,
            _ => x / y,
        };

        // Infinity and NaN cannot be written as JSON, so they must not escape into results.
        if (!double.IsFinite(result))
        {
            throw new ExpressionEvaluationException($"result of operator '{Symbol(Operator)}' is out of range");
        }

        return JsonNumber.FromDouble(result);
    }

    private bool TryIntegral(long a, long b, out long result)
    {
        result = 0;
        try
        {
            switch (Operator)
            {
                case BinaryOperator.Add:
                    result = checked(a + b);
                    return true;
                case BinaryOperator.Subtract:
                    result = checked(a - b);
                    return true;
                case BinaryOperator.Multiply:
                    result = checked(a * b);
                    return true;
                default:
                    if (b == -1 && a == long.MinValue)
                    {
                        return false;
                    }

                    if (a % b != 0)
                    {
                        return false;
                    }

                    result = a / b;
                    return true;
            }
        }
        catch (OverflowException)
        {
            return false;
        }
    }
}
