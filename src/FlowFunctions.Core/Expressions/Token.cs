namespace FlowFunctions.Core.Expressions;

/// <param name="Kind">What the token is.</param>
/// <param name="Position">0-based offset of the token's first character.</param>
/// <param name="Text">Identifier name, decoded string value, or the raw text of numbers and operators.</param>
internal readonly record struct Token(TokenKind Kind, int Position, string Text)
{
    public string Describe() => Kind switch
    {
        TokenKind.End => "end of expression",
        TokenKind.Identifier => $"name '{Text}'",
        TokenKind.Number => $"number {Text}",
        TokenKind.String => "string literal",
        _ => $"'{Text}'",
    };
}
