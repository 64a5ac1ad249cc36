using System.Text;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Expressions;
using Microsoft.FSharp.Core;

namespace FlowFunctions.Core.Tests.Expressions;

/// <summary>
/// Random and mutated inputs must only ever produce the two documented exception types: anything
/// else (NullReference, InvalidCast, StackOverflow...) would crash the engine on a bad spec.
/// </summary>
public class ExpressionFuzzTests
{
    private static readonly string[] Seeds =
    [
        "inputs.name",
        "inputs.tags[-1] + 'x'",
        "nodes['a-b'].output.items[0].v",
        "nodes.fetch.status == 'Succeeded' && length(nodes.fetch.output.items) > 2",
        "format('{0}-{1}', item.id, index)",
        "if(inputs.flag, sum(1, 2.5), min(nodes.fetch.output.items))",
        "coalesce(inputs.missing, fromJson(inputs.json).k, 'd')",
        "join(split('a,b', ','), '|')",
        "!(1 < 2) || -3 * (4 / 2) != 6",
        "toJson(values(inputs.nested)) + run.id + run.startedAt",
        "contains(keys(item), 'id') && startsWith(inputs.name, 'W') && endsWith('x', 'x')",
        "max(inputs.count, 1e3, 0.5) - 9223372036854775807 * 2",
        "inputs[inputs.tags[0]]['x'][item.id]",
    ];

    private static readonly string[] Fragments =
    [
        "inputs", "nodes", "input", "item", "index", "run", ".", "[", "]", "(", ")", ",", "'", "''", "==", "!=", "<",
        "<=", ">", ">=", "&&", "||", "!", "+", "-", "*", "/", " ", "0", "-1", "1.5", "1e3", "9223372036854775808",
        "'s'", "true", "false", "null", "length(", "format(", "fromJson(", "if(", "sum(", "min(", "coalesce(",
        ".output", ".status", "['a-b']", "a-b", "${{", "}}", "{", "}", "\"", "\\", "\0", "é", "#", "=", "&", "|",
        "{0}", "'{'", "'}}'", "item.id", "index", "inputs.json", "run.id", "toJson(", "split(", "join(",
    ];

    /// <summary>xorshift64*: deterministic, so a failure can be replayed from the seed.</summary>
    private sealed class XorShift(ulong seed)
    {
        private ulong _state = seed == 0 ? 0x9E3779B97F4A7C15UL : seed;

        public int Next(int bound)
        {
            _state ^= _state >> 12;
            _state ^= _state << 25;
            _state ^= _state >> 27;
            return (int)((_state * 0x2545F4914F6CDD1DUL >> 33) % (ulong)bound);
        }
    }

    private static string Mutate(XorShift random, string text)
    {
        var builder = new StringBuilder(text);
        int edits = 1 + random.Next(4);
        for (int e = 0; e < edits; e++)
        {
            int position = builder.Length == 0 ? 0 : random.Next(builder.Length + 1);
            switch (random.Next(4))
            {
                case 0 when builder.Length > 0 && position < builder.Length:
                    builder.Remove(position, 1 + random.Next(Math.Min(5, builder.Length - position)));
                    break;
                case 1:
                    builder.Insert(position, Fragments[random.Next(Fragments.Length)]);
                    break;
                case 2:
                    builder.Insert(position, (char)(32 + random.Next(95)));
                    break;
                default:
                    builder.Insert(position, Seeds[random.Next(Seeds.Length)]);
                    break;
            }
        }

        return builder.ToString();
    }

    private static readonly string[] Leaves =
    [
        "1", "0", "-2", "2.5", "1e3", "'s'", "''", "'a,b'", "'{0}'", "true", "false", "null", "inputs", "inputs.name",
        "inputs.count", "inputs.tags", "inputs.nested", "inputs.json", "inputs.missing", "inputs['my-key']", "input",
        "item", "item.id", "index", "run.id", "run.startedAt", "nodes.fetch.output", "nodes.fetch.output.items",
        "nodes['a-b'].output", "nodes.fetch.status", "nodes.none.output",
    ];

    private static readonly string[] BinaryOperators =
        ["==", "!=", "<", "<=", ">", ">=", "&&", "||", "+", "-", "*", "/"];

    private static readonly (string Name, int Arity)[] Functions =
    [
        ("length", 1), ("contains", 2), ("startsWith", 2), ("endsWith", 2), ("join", 1), ("join", 2), ("split", 2),
        ("format", 2), ("format", 3), ("toJson", 1), ("fromJson", 1), ("keys", 1), ("values", 1), ("sum", 1),
        ("sum", 3), ("min", 2), ("max", 1), ("coalesce", 2), ("if", 3),
    ];

    /// <summary>Grammar-based generation, so that evaluation (not just parsing) gets exercised.</summary>
    private static string RandomExpression(XorShift random, int depth)
    {
        if (depth <= 0 || random.Next(4) == 0)
        {
            return Leaves[random.Next(Leaves.Length)];
        }

        switch (random.Next(6))
        {
            case 0:
                return $"{RandomExpression(random, depth - 1)} {BinaryOperators[random.Next(BinaryOperators.Length)]} {RandomExpression(random, depth - 1)}";
            case 1:
                return (random.Next(2) == 0 ? "!" : "-") + "(" + RandomExpression(random, depth - 1) + ")";
            case 2:
                return $"({RandomExpression(random, depth - 1)})[{RandomExpression(random, depth - 1)}]";
            case 3:
                return $"({RandomExpression(random, depth - 1)}).{(random.Next(2) == 0 ? "x" : "id")}";
            default:
                (string name, int arity) = Functions[random.Next(Functions.Length)];
                var arguments = new string[arity];
                for (int i = 0; i < arity; i++)
                {
                    arguments[i] = RandomExpression(random, depth - 1);
                }

                return $"{name}({string.Join(", ", arguments)})";
        }
    }

    private static string RandomText(XorShift random)
    {
        var builder = new StringBuilder();
        int parts = 1 + random.Next(12);
        for (int i = 0; i < parts; i++)
        {
            builder.Append(Fragments[random.Next(Fragments.Length)]);
        }

        return builder.ToString();
    }

    /// <returns>0 for a syntax error, 1 for an evaluation error, 2 for a value.</returns>
    private static int ParseAndEvaluate(string source, ExpressionScope scope)
    {
        Expression expression;
        try
        {
            expression = Expression.Parse(source);
        }
        catch (ExpressionSyntaxException e)
        {
            e.Position.ShouldBeInRange(0, Math.Max(source.Length, 10_000), source);
            e.Message.ShouldNotBeNullOrWhiteSpace();
            return 0;
        }

        try
        {
            JsonNode? result = expression.Evaluate(scope);
            result?.Parent.ShouldBeNull();
            _ = JsonValues.ToJson(result);
            return 2;
        }
        catch (ExpressionEvaluationException e)
        {
            e.Message.ShouldNotBeNullOrWhiteSpace();
            return 1;
        }
    }

    private static void CompileAndResolve(string text, ExpressionScope scope)
    {
        var errors = new List<TemplateError>();
        ValueTemplate template = ValueTemplate.Compile(new JsonObject { ["v"] = text, ["list"] = new JsonArray(text, 1) }, errors);
        if (errors.Count > 0)
        {
            return;
        }

        try
        {
            _ = template.Resolve(scope);
        }
        catch (ExpressionEvaluationException)
        {
            // documented failure
        }
    }

    [Fact]
    public void SeedExpressions_AreValid()
    {
        foreach (string seed in Seeds)
        {
            Should.NotThrow(() => Expression.Parse(seed), seed);
        }
    }

    [Fact]
    public void RandomAndMutatedExpressions_OnlyThrowDocumentedExceptions()
    {
        var random = new XorShift(20240601);
        ExpressionScope[] scopes = [ExpressionTestScope.Create(), ExpressionScope.Empty];
        int[] outcomes = new int[3];
        for (int i = 0; i < 4000; i++)
        {
            string source = (i % 4) switch
            {
                0 => RandomText(random),
                1 => Mutate(random, Seeds[random.Next(Seeds.Length)]),
                2 => Mutate(random, RandomExpression(random, 4)),
                _ => RandomExpression(random, 4),
            };
            ExpressionScope scope = scopes[i % 2];
            outcomes[ParseAndEvaluate(source, scope)]++;
            CompileAndResolve(source, scope);
            CompileAndResolve("pre ${{ " + source + " }} post", scope);
            CompileAndResolve("${{ " + source + " }}", scope);
        }

        // Guards against a generator that only ever produces garbage and so tests nothing past the lexer.
        string summary = string.Join(",", outcomes);
        outcomes[0].ShouldBeGreaterThan(1000, summary);
        outcomes[1].ShouldBeGreaterThan(300, summary);
        outcomes[2].ShouldBeGreaterThan(300, summary);
    }

    [Fact]
    public void RandomTemplateStrings_OnlyProduceTemplateErrorsOrDocumentedExceptions()
    {
        var random = new XorShift(7);
        string[] pieces = ["${{", "}}", "'", " ", "inputs.name", "x", "${{ 1 }}", "}", "{", "1 +", "nodes.a.output"];
        ExpressionScope scope = ExpressionTestScope.Create();
        for (int i = 0; i < 2000; i++)
        {
            var builder = new StringBuilder();
            int parts = random.Next(10);
            for (int p = 0; p < parts; p++)
            {
                builder.Append(pieces[random.Next(pieces.Length)]);
            }

            CompileAndResolve(builder.ToString(), scope);
        }
    }

    [Fact]
    public void FsCheckGeneratedStrings_OnlyThrowDocumentedExceptions()
    {
        FsCheck.Property property = FsCheck.Fluent.Prop.ForAll<string>(s =>
        {
            ParseAndEvaluate(s ?? string.Empty, ExpressionTestScope.Create());
            CompileAndResolve(s ?? string.Empty, ExpressionScope.Empty);
        });
        var replay = new FsCheck.Replay(new FsCheck.Rnd(42UL, 7UL), FSharpOption<int>.None);
        FsCheck.Check.One(
            FsCheck.Config.QuickThrowOnFailure.WithMaxTest(500).WithReplay(FSharpOption<FsCheck.Replay>.Some(replay)),
            property);
    }
}
