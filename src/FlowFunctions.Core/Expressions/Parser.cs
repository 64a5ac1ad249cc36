using System.Globalization;
using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Expressions;

/// <summary>
/// Recursive-descent parser. Besides the tree it records which contexts, nodes and inputs the
/// expression reads, so the engine can wire dependencies without evaluating anything.
/// </summary>
internal sealed class Parser
{
    public const int MaxSourceLength = 10_000;
    public const int MaxNesting = 64;

    // Long operator chains ("a + b + c ...") are not nesting for the user but still deepen the tree,
    // and evaluation recurses over the tree.
    public const int MaxTreeHeight = 512;

    public const string RootNames = "inputs, nodes, input, item, index, run, secrets";

    private readonly List<Token> _tokens;
    private int _next;
    private int _nesting;

    private Parser(List<Token> tokens)
    {
        _tokens = tokens;
    }

    public List<string> Roots { get; } = [];

    /// <summary>Names read through <c>secrets.NAME</c>, in order of first appearance.</summary>
    public List<string> Secrets { get; } = [];

    public List<string> Nodes { get; } = [];

    public List<string> Inputs { get; } = [];

    public static Parser Run(string source, out ExpressionNode root)
    {
        if (source.Length > MaxSourceLength)
        {
            throw new ExpressionSyntaxException(
                $"expression is too long ({source.Length} characters; the limit is {MaxSourceLength})", MaxSourceLength);
        }

        var parser = new Parser(Lexer.Tokenize(source));
        if (parser.Peek.Kind == TokenKind.End)
        {
            throw new ExpressionSyntaxException("empty expression", 0);
        }

        root = parser.ParseOr();
        if (parser.Peek.Kind != TokenKind.End)
        {
            throw parser.Unexpected(parser.Peek);
        }

        return parser;
    }

    private Token Peek => _tokens[_next];

    private Token PeekAt(int offset) => _tokens[Math.Min(_next + offset, _tokens.Count - 1)];

    private Token Advance()
    {
        Token token = _tokens[_next];
        if (token.Kind != TokenKind.End)
        {
            _next++;
        }

        return token;
    }

    private bool Match(TokenKind kind)
    {
        if (Peek.Kind != kind)
        {
            return false;
        }

        Advance();
        return true;
    }

    private Token Expect(TokenKind kind, string what)
    {
        Token token = Peek;
        if (token.Kind != kind)
        {
            throw new ExpressionSyntaxException(
                $"expected {what} at position {token.Position} but found {token.Describe()}", token.Position);
        }

        return Advance();
    }

    private ExpressionSyntaxException Unexpected(Token token)
    {
        string message = token.Kind == TokenKind.End
            ? $"unexpected end of expression at position {token.Position}"
            : $"unexpected {token.Describe()} at position {token.Position}";
        if (_next > 0 && _tokens[_next - 1].Kind == TokenKind.Identifier
            && _tokens[_next - 1].Text.EndsWith('-'))
        {
            message += "; names may contain '-', so write subtraction with spaces (a - b)";
        }

        return new ExpressionSyntaxException(message, token.Position);
    }

    private static T Checked<T>(T node)
        where T : ExpressionNode
    {
        if (node.Height > MaxTreeHeight)
        {
            throw new ExpressionSyntaxException(
                $"expression is too complex at position {node.Position} (more than {MaxTreeHeight} nested operations)", node.Position);
        }

        return node;
    }

    private void Enter(int position)
    {
        if (++_nesting > MaxNesting)
        {
            throw new ExpressionSyntaxException(
                $"expression is nested too deeply at position {position} (the limit is {MaxNesting} levels)", position);
        }
    }

    private void Exit() => _nesting--;

    private ExpressionNode ParseNested(int position)
    {
        Enter(position);
        ExpressionNode node = ParseOr();
        Exit();
        return node;
    }

    private ExpressionNode ParseOr()
    {
        ExpressionNode left = ParseAnd();
        while (Peek.Kind == TokenKind.OrOr)
        {
            int position = Advance().Position;
            left = Checked(new LogicalNode(false, left, ParseAnd(), position));
        }

        return left;
    }

    private ExpressionNode ParseAnd()
    {
        ExpressionNode left = ParseEquality();
        while (Peek.Kind == TokenKind.AndAnd)
        {
            int position = Advance().Position;
            left = Checked(new LogicalNode(true, left, ParseEquality(), position));
        }

        return left;
    }

    private ExpressionNode ParseEquality()
    {
        ExpressionNode left = ParseComparison();
        while (true)
        {
            BinaryOperator? op = Peek.Kind switch
            {
                TokenKind.EqualEqual => BinaryOperator.Equal,
                TokenKind.NotEqual => BinaryOperator.NotEqual,
                _ => null,
            };
            if (op is null)
            {
                return left;
            }

            int position = Advance().Position;
            left = Checked(new BinaryNode(op.Value, left, ParseComparison(), position));
        }
    }

    private ExpressionNode ParseComparison()
    {
        ExpressionNode left = ParseAdditive();
        while (true)
        {
            BinaryOperator? op = Peek.Kind switch
            {
                TokenKind.Less => BinaryOperator.Less,
                TokenKind.LessEqual => BinaryOperator.LessEqual,
                TokenKind.Greater => BinaryOperator.Greater,
                TokenKind.GreaterEqual => BinaryOperator.GreaterEqual,
                _ => null,
            };
            if (op is null)
            {
                return left;
            }

            int position = Advance().Position;
            left = Checked(new BinaryNode(op.Value, left, ParseAdditive(), position));
        }
    }

    private ExpressionNode ParseAdditive()
    {
        ExpressionNode left = ParseMultiplicative();
        while (true)
        {
            BinaryOperator? op = Peek.Kind switch
            {
                TokenKind.Plus => BinaryOperator.Add,
                TokenKind.Minus => BinaryOperator.Subtract,
                _ => null,
            };
            if (op is null)
            {
                return left;
            }

            int position = Advance().Position;
            left = Checked(new BinaryNode(op.Value, left, ParseMultiplicative(), position));
        }
    }

    private ExpressionNode ParseMultiplicative()
    {
        ExpressionNode left = ParseUnary();
        while (true)
        {
            BinaryOperator? op = Peek.Kind switch
            {
                TokenKind.Star => BinaryOperator.Multiply,
                TokenKind.Slash => BinaryOperator.Divide,
                _ => null,
            };
            if (op is null)
            {
                return left;
            }

            int position = Advance().Position;
            left = Checked(new BinaryNode(op.Value, left, ParseUnary(), position));
        }
    }

    private ExpressionNode ParseUnary()
    {
        if (Peek.Kind is TokenKind.Bang or TokenKind.Minus)
        {
            Token op = Advance();
            Enter(op.Position);
            ExpressionNode operand = ParseUnary();
            Exit();
            return Checked(new UnaryNode(op.Kind == TokenKind.Bang, operand, op.Position));
        }

        return ParsePostfix();
    }

    private ExpressionNode ParsePostfix()
    {
        ExpressionNode node = ParsePrimary();
        while (true)
        {
            if (Peek.Kind == TokenKind.Dot)
            {
                Token dot = Advance();
                Token name = Expect(TokenKind.Identifier, "a property name after '.'");
                RecordInput(node, name.Text);
                node = Checked(new MemberNode(node, name.Text, dot.Position));
            }
            else if (Peek.Kind == TokenKind.LeftBracket)
            {
                Token bracket = Advance();
                ExpressionNode index = ParseNested(bracket.Position);
                Expect(TokenKind.RightBracket, "']'");
                if (index is LiteralNode { Value: JsonValue literal } && literal.TryGetValue(out string? key))
                {
                    RecordInput(node, key);
                }

                node = Checked(new IndexNode(node, index, bracket.Position));
            }
            else if (Peek.Kind == TokenKind.LeftParen)
            {
                throw new ExpressionSyntaxException(
                    $"unexpected '(' at position {Peek.Position}; only built-in functions can be called ({BuiltinFunctions.KnownNames})",
                    Peek.Position);
            }
            else
            {
                return node;
            }
        }
    }

    private void RecordInput(ExpressionNode target, string name)
    {
        if (target is ContextNode { Name: ContextNode.Inputs })
        {
            AddOnce(Inputs, name);
        }
    }

    private static void AddOnce(List<string> list, string value)
    {
        if (!list.Contains(value, StringComparer.Ordinal))
        {
            list.Add(value);
        }
    }

    private ExpressionNode ParsePrimary()
    {
        Token token = Peek;
        switch (token.Kind)
        {
            case TokenKind.Number:
                Advance();
                return new LiteralNode(ParseNumberLiteral(token), token.Position);
            case TokenKind.String:
                Advance();
                return new LiteralNode(JsonValue.Create(token.Text), token.Position);
            case TokenKind.LeftParen:
                {
                    Advance();
                    ExpressionNode inner = ParseNested(token.Position);
                    Expect(TokenKind.RightParen, "')'");
                    return inner;
                }

            case TokenKind.Identifier:
                return ParseName();
            default:
                throw Unexpected(token);
        }
    }

    private static JsonValue ParseNumberLiteral(Token token)
    {
        string text = token.Text;
        bool looksIntegral = !text.Contains('.', StringComparison.Ordinal)
            && !text.Contains('e', StringComparison.Ordinal)
            && !text.Contains('E', StringComparison.Ordinal);
        if (looksIntegral && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long integral))
        {
            return JsonValue.Create(integral);
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double real) && double.IsFinite(real))
        {
            return JsonValue.Create(real);
        }

        throw new ExpressionSyntaxException($"number {text} at position {token.Position} is out of range", token.Position);
    }

    private ExpressionNode ParseName()
    {
        Token name = Advance();
        if (Peek.Kind == TokenKind.LeftParen)
        {
            return ParseCall(name);
        }

        switch (name.Text)
        {
            case "true":
                return new LiteralNode(JsonValue.Create(true), name.Position);
            case "false":
                return new LiteralNode(JsonValue.Create(false), name.Position);
            case "null":
                return new LiteralNode(null, name.Position);
            case ContextNode.Inputs:
            case ContextNode.Input:
            case ContextNode.Item:
            case ContextNode.Index:
                AddOnce(Roots, name.Text);
                return new ContextNode(name.Text, name.Position);
            case "nodes":
                AddOnce(Roots, name.Text);
                return ParseNodeReference(name);
            case "run":
                AddOnce(Roots, name.Text);
                return ParseRun(name);
            case "secrets":
                AddOnce(Roots, name.Text);
                return ParseSecret(name);
            default:
                string hint = name.Text.Contains('-', StringComparison.Ordinal)
                    ? " (names may contain '-', so write subtraction with spaces: a - b)"
                    : string.Empty;
                throw new ExpressionSyntaxException(
                    $"unknown name '{name.Text}' at position {name.Position}; expected one of {RootNames}{hint}", name.Position);
        }
    }

    private CallNode ParseCall(Token name)
    {
        if (!BuiltinFunctions.All.TryGetValue(name.Text, out FunctionDefinition? function))
        {
            throw new ExpressionSyntaxException(
                $"unknown function '{name.Text}' at position {name.Position}; known functions are {BuiltinFunctions.KnownNames}",
                name.Position);
        }

        Token open = Advance();
        var arguments = new List<ExpressionNode>();
        if (Peek.Kind != TokenKind.RightParen)
        {
            do
            {
                arguments.Add(ParseNested(open.Position));
            }
            while (Match(TokenKind.Comma));
        }

        Expect(TokenKind.RightParen, arguments.Count == 0 ? "')'" : "',' or ')'");
        if (arguments.Count < function.MinArguments || arguments.Count > function.MaxArguments)
        {
            throw new ExpressionSyntaxException(
                $"function '{function.Name}' takes {function.DescribeArity()} but got {arguments.Count} (at position {name.Position})",
                name.Position);
        }

        return Checked(new CallNode(function, arguments, name.Position));
    }

    private NodeReferenceNode ParseNodeReference(Token nodes)
    {
        string id;
        if (Match(TokenKind.Dot))
        {
            id = Expect(TokenKind.Identifier, "a node id after 'nodes.'").Text;
        }
        else if (Peek.Kind == TokenKind.LeftBracket)
        {
            Advance();
            Token literal = Peek;
            if (literal.Kind != TokenKind.String || PeekAt(1).Kind != TokenKind.RightBracket)
            {
                throw new ExpressionSyntaxException(
                    $"node references must be static at position {literal.Position}: write nodes.<id> or nodes['<id>'] with a literal id",
                    literal.Position);
            }

            Advance();
            Advance();
            if (!Lexer.IsIdentifier(literal.Text))
            {
                throw new ExpressionSyntaxException(
                    $"'{literal.Text}' at position {literal.Position} is not a valid node id (letters, digits, '_' and '-', not starting with a digit or '-')",
                    literal.Position);
            }

            id = literal.Text;
        }
        else
        {
            throw new ExpressionSyntaxException(
                $"expected '.<id>' or ['<id>'] after 'nodes' at position {Peek.Position} but found {Peek.Describe()}", Peek.Position);
        }

        Token dot = Peek;
        if (dot.Kind != TokenKind.Dot || PeekAt(1).Kind != TokenKind.Identifier || PeekAt(1).Text is not ("output" or "status"))
        {
            throw new ExpressionSyntaxException(
                $"expected '.output' or '.status' after 'nodes.{id}' at position {dot.Position}", dot.Position);
        }

        Advance();
        bool isStatus = Advance().Text == "status";
        AddOnce(Nodes, id);
        return new NodeReferenceNode(id, isStatus, nodes.Position);
    }

    private SecretNode ParseSecret(Token secrets)
    {
        Token dot = Peek;
        if (dot.Kind != TokenKind.Dot || PeekAt(1).Kind != TokenKind.Identifier)
        {
            throw new ExpressionSyntaxException(
                $"expected '.NAME' after 'secrets' at position {dot.Position} (a secret is read as secrets.NAME)", dot.Position);
        }

        Advance();
        Token name = Advance();
        if (name.Text.Contains('-', StringComparison.Ordinal))
        {
            throw new ExpressionSyntaxException(
                $"secret name '{name.Text}' at position {name.Position} may only have letters, digits and '_' (it names the app setting FlowFunctions__Secrets__NAME)", name.Position);
        }

        AddOnce(Secrets, name.Text);
        return new SecretNode(name.Text, secrets.Position);
    }

    private RunNode ParseRun(Token run)
    {
        Token dot = Peek;
        if (dot.Kind != TokenKind.Dot || PeekAt(1).Kind != TokenKind.Identifier
            || PeekAt(1).Text is not (RunNode.Id or RunNode.StartedAt))
        {
            throw new ExpressionSyntaxException(
                $"expected '.id' or '.startedAt' after 'run' at position {dot.Position}", dot.Position);
        }

        Advance();
        return new RunNode(Advance().Text, run.Position);
    }
}
