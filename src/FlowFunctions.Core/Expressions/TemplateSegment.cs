namespace FlowFunctions.Core.Expressions;

/// <summary>Either literal text or an expression inside a template string.</summary>
internal readonly record struct TemplateSegment(string? Literal, Expression? Expression);
