namespace FlowFunctions.Core.Expressions;

internal enum TokenKind
{
    End,
    Identifier,
    Number,
    String,
    Dot,
    LeftBracket,
    RightBracket,
    LeftParen,
    RightParen,
    Comma,
    EqualEqual,
    NotEqual,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    AndAnd,
    OrOr,
    Bang,
    Plus,
    Minus,
    Star,
    Slash,
}
