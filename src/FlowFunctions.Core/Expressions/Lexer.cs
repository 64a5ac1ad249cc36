using System.Text;

namespace FlowFunctions.Core.Expressions;

/// <summary>Turns expression text into tokens; all lexical errors surface here with their position.</summary>
internal static class Lexer
{
    public static List<Token> Tokenize(string source)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (true)
        {
            while (i < source.Length && char.IsWhiteSpace(source[i]))
            {
                i++;
            }

            if (i >= source.Length)
            {
                tokens.Add(new Token(TokenKind.End, source.Length, string.Empty));
                return tokens;
            }

            char c = source[i];
            int start = i;
            if (IsIdentifierStart(c))
            {
                i++;
                while (i < source.Length && IsIdentifierPart(source[i]))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Identifier, start, source[start..i]));
                continue;
            }

            if (char.IsAsciiDigit(c))
            {
                i = ReadNumber(source, i);
                tokens.Add(new Token(TokenKind.Number, start, source[start..i]));
                continue;
            }

            if (c == '\'')
            {
                i = ReadString(source, i, out string value);
                tokens.Add(new Token(TokenKind.String, start, value));
                continue;
            }

            char next = i + 1 < source.Length ? source[i + 1] : '\0';
            (TokenKind kind, int length) = (c, next) switch
            {
                ('.', _) => (TokenKind.Dot, 1),
                ('[', _) => (TokenKind.LeftBracket, 1),
                (']', _) => (TokenKind.RightBracket, 1),
                ('(', _) => (TokenKind.LeftParen, 1),
                (')', _) => (TokenKind.RightParen, 1),
                (',', _) => (TokenKind.Comma, 1),
                ('=', '=') => (TokenKind.EqualEqual, 2),
                ('!', '=') => (TokenKind.NotEqual, 2),
                ('<', '=') => (TokenKind.LessEqual, 2),
                ('>', '=') => (TokenKind.GreaterEqual, 2),
                ('&', '&') => (TokenKind.AndAnd, 2),
                ('|', '|') => (TokenKind.OrOr, 2),
                ('<', _) => (TokenKind.Less, 1),
                ('>', _) => (TokenKind.Greater, 1),
                ('!', _) => (TokenKind.Bang, 1),
                ('+', _) => (TokenKind.Plus, 1),
                ('-', _) => (TokenKind.Minus, 1),
                ('*', _) => (TokenKind.Star, 1),
                ('/', _) => (TokenKind.Slash, 1),
                _ => (TokenKind.End, 0),
            };

            if (length == 0)
            {
                throw UnexpectedCharacter(c, start);
            }

            tokens.Add(new Token(kind, start, source.Substring(start, length)));
            i += length;
        }
    }

    public static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c == '_';

    public static bool IsIdentifierPart(char c) => char.IsAsciiLetterOrDigit(c) || c == '_' || c == '-';

    /// <summary>True when the text is a valid identifier, and so a valid node id.</summary>
    public static bool IsIdentifier(string text)
    {
        if (text.Length == 0 || !IsIdentifierStart(text[0]))
        {
            return false;
        }

        foreach (char c in text)
        {
            if (!IsIdentifierPart(c))
            {
                return false;
            }
        }

        return true;
    }

    private static ExpressionSyntaxException UnexpectedCharacter(char c, int position)
    {
        string hint = c switch
        {
            '=' => "; did you mean '=='?",
            '&' => "; did you mean '&&'?",
            '|' => "; did you mean '||'?",
            '"' => "; strings use single quotes, e.g. 'text'",
            _ => string.Empty,
        };
        string shown = char.IsControl(c) || char.IsSurrogate(c)
            ? $"U+{(int)c:X4}"
            : $"'{c}'";
        return new ExpressionSyntaxException($"unexpected character {shown} at position {position}{hint}", position);
    }

    private static int ReadNumber(string source, int i)
    {
        int start = i;
        while (i < source.Length && char.IsAsciiDigit(source[i]))
        {
            i++;
        }

        if (i + 1 < source.Length && source[i] == '.' && char.IsAsciiDigit(source[i + 1]))
        {
            i++;
            while (i < source.Length && char.IsAsciiDigit(source[i]))
            {
                i++;
            }
        }

        if (i < source.Length && (source[i] == 'e' || source[i] == 'E'))
        {
            int exponent = i + 1;
            if (exponent < source.Length && (source[exponent] == '+' || source[exponent] == '-'))
            {
                exponent++;
            }

            if (exponent >= source.Length || !char.IsAsciiDigit(source[exponent]))
            {
                throw new ExpressionSyntaxException($"invalid number '{source[start..Math.Min(exponent, source.Length)]}' at position {start}: exponent needs digits", start);
            }

            i = exponent;
            while (i < source.Length && char.IsAsciiDigit(source[i]))
            {
                i++;
            }
        }

        // "12abc" is almost certainly a typo; reading it as 12 followed by a name gives a worse message.
        if (i < source.Length && IsIdentifierStart(source[i]))
        {
            throw new ExpressionSyntaxException($"invalid number at position {start}: unexpected '{source[i]}' after digits", start);
        }

        return i;
    }

    private static int ReadString(string source, int i, out string value)
    {
        int start = i;
        i++;
        var builder = new StringBuilder();
        while (i < source.Length)
        {
            char c = source[i];
            if (c == '\'')
            {
                if (i + 1 < source.Length && source[i + 1] == '\'')
                {
                    builder.Append('\'');
                    i += 2;
                    continue;
                }

                value = builder.ToString();
                return i + 1;
            }

            builder.Append(c);
            i++;
        }

        throw new ExpressionSyntaxException($"unterminated string starting at position {start} (strings end with ' and a quote inside is written '')", start);
    }
}
