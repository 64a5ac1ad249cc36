using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Specs;

/// <summary>A declared run input.</summary>
/// <param name="Name">The input name, read as <c>inputs.name</c>.</param>
/// <param name="Type">The JSON type a value must have.</param>
/// <param name="Default">The value used when none is given, or null.</param>
/// <param name="Required">Whether a run must supply it.</param>
/// <param name="Description">Free text (shown by forms and docs).</param>
public sealed record InputDeclaration(string Name, InputType Type, JsonNode? Default, bool Required, string? Description);

/// <summary>The types an input may declare.</summary>
public enum InputType
{
    /// <summary>A JSON string.</summary>
    String,

    /// <summary>Any JSON number.</summary>
    Number,

    /// <summary>A JSON number with no fractional part.</summary>
    Integer,

    /// <summary>true or false.</summary>
    Boolean,

    /// <summary>A JSON object.</summary>
    Object,

    /// <summary>A JSON array.</summary>
    Array,
}
