using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Expressions;

/// <summary>
/// A number as the expression language sees it: integral (long) or not (double). Keeping the two apart
/// lets integer arithmetic stay exact and render without a fractional part.
/// </summary>
internal readonly record struct JsonNumber
{
    private JsonNumber(bool isIntegral, long integral, double real)
    {
        IsIntegral = isIntegral;
        Integral = integral;
        Real = real;
    }

    public bool IsIntegral { get; }

    public long Integral { get; }

    public double Real { get; }

    public double AsDouble => IsIntegral ? Integral : Real;

    public bool IsZero => IsIntegral ? Integral == 0 : Real == 0;

    public static JsonNumber FromLong(long value) => new(true, value, 0);

    public static JsonNumber FromDouble(double value) => new(false, 0, value);

    public JsonNode ToNode() => IsIntegral ? JsonValue.Create(Integral) : JsonValue.Create(Real);

    public static int Compare(JsonNumber left, JsonNumber right) =>
        left.IsIntegral && right.IsIntegral
            ? left.Integral.CompareTo(right.Integral)
            : left.AsDouble.CompareTo(right.AsDouble);

    public static bool NumericEquals(JsonNumber left, JsonNumber right) =>
        left.IsIntegral && right.IsIntegral
            ? left.Integral == right.Integral
            : left.AsDouble.Equals(right.AsDouble);
}
