using System.Text;
using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Validation;

namespace FlowFunctions.Core.Tests.Validation;

/// <summary>The size, count, depth and alias limits, on specs generated here rather than committed as huge files.</summary>
public class SpecLoaderLimitTests
{
    [Theory]
    [InlineData(SpecFormat.Yaml)]
    [InlineData(SpecFormat.Json)]
    public void Load_SpecLargerThanOneMebibyte_IsOneClearError(SpecFormat format)
    {
        var padding = new string('x', SourceLimits.MaxSpecBytes);
        var text = format == SpecFormat.Json
            ? $"{{\"name\": \"big\", \"description\": \"{padding}\", \"nodes\": [{{\"id\": \"a\", \"type\": \"echo\"}}]}}"
            : $"name: big\ndescription: {padding}\nnodes:\n  - id: a\n    type: echo\n";

        var error = SpecLoader.Load(text, format).Errors.ShouldHaveSingleItem();

        error.ShouldBe(error with { Path = string.Empty, Line = 1, Column = 1 });
        error.Message.ShouldContain("the limit is 1048576 bytes (1 MiB)");
    }

    [Theory]
    [InlineData(SpecFormat.Yaml)]
    [InlineData(SpecFormat.Json)]
    public void Load_MoreThan10000Nodes_IsOneErrorAtNodes(SpecFormat format)
    {
        var text = Chain(SpecLoader.MaxNodes + 1, format);

        var error = SpecLoader.Load(text, format).Errors.ShouldHaveSingleItem();

        error.Path.ShouldBe("/nodes");
        error.Message.ShouldBe("the spec declares 10001 nodes; the limit is 10000");
        (error.Line, error.Column).ShouldBe(format == SpecFormat.Json ? (1, 28) : (3, 3));
    }

    [Theory]
    [InlineData(SpecFormat.Yaml)]
    [InlineData(SpecFormat.Json)]
    public void Load_10000NodeChainReadingTheFirstNode_IsValid(SpecFormat format)
    {
        var text = Chain(SpecLoader.MaxNodes, format);

        var result = SpecLoader.Load(text, format);

        result.Errors.ShouldBeEmpty();
        result.Spec!.Nodes.Length.ShouldBe(10_000);
    }

    [Theory]
    [InlineData(SpecFormat.Yaml, 64, true)]
    [InlineData(SpecFormat.Yaml, 65, false)]
    [InlineData(SpecFormat.Json, 64, true)]
    [InlineData(SpecFormat.Json, 65, false)]
    public void Load_NestingInWith_IsLimitedTo64Levels(SpecFormat format, int depth, bool valid)
    {
        // The root mapping, /nodes and /nodes/0 are three levels, so the lists in with add depth - 3 more.
        var lists = depth - 3;
        var value = new string('[', lists) + new string(']', lists);
        var text = format == SpecFormat.Json
            ? $"{{\"name\": \"deep\", \"nodes\": [{{\"id\": \"a\", \"type\": \"echo\", \"with\": {value}}}]}}"
            : $"name: deep\nnodes:\n  - id: a\n    type: echo\n    with: {value}\n";

        var result = SpecLoader.Load(text, format);

        if (valid)
        {
            result.Errors.ShouldBeEmpty();
            return;
        }

        var error = result.Errors.ShouldHaveSingleItem();
        error.Message.ShouldBe("nesting deeper than 64 levels");
        (error.Line, error.Column).ShouldBe(format == SpecFormat.Json ? (1, 64 + lists - 1) : (5, 11 + lists - 1));
    }

    [Fact]
    public void Load_YamlAliasBomb_IsOneErrorAtTheAliasThatBreaksTheBudget()
    {
        var yaml = new StringBuilder("name: laughs\nnodes:\n  - id: a\n    type: echo\n    with:\n");
        yaml.Append("      l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var i = 1; i < 9; i++)
        {
            yaml.Append($"      l{i}: &l{i} [{string.Join(", ", Enumerable.Repeat($"*l{i - 1}", 10))}]\n");
        }

        var error = SpecLoader.Load(yaml.ToString(), SpecFormat.Yaml).Errors.ShouldHaveSingleItem();

        error.Message.ShouldContain("alias bomb");
        error.Line.ShouldBeGreaterThan(6);
        error.Column.ShouldBeGreaterThan(1);
    }

    [Fact]
    public void Load_LoneSurrogateEscapeInJson_IsASyntaxErrorNotACrash()
    {
        var error = SpecLoader.Load("{\"name\": \"x\\ud800\", \"nodes\": []}", SpecFormat.Json).Errors.ShouldHaveSingleItem();

        error.Message.ShouldContain("unpaired surrogate");
        (error.Line, error.Column).ShouldBe((1, 10));
    }

    [Theory]
    [InlineData("{\"name\": \"x\", \"version\": 1e400, \"nodes\": []}", SpecFormat.Json)]
    [InlineData("name: x\nversion: 1e400\nnodes: []\n", SpecFormat.Yaml)]
    [InlineData("name: x\nversion: !!float 1e400\nnodes: []\n", SpecFormat.Yaml)]
    public void Load_InfiniteNumber_IsAnErrorNotACrash(string text, SpecFormat format)
    {
        var error = SpecLoader.Load(text, format).Errors.ShouldHaveSingleItem();

        error.Message.ShouldContain("is too large");
    }

    /// <summary>
    /// n0 &lt;- n1 &lt;- ... where every node after the first reads n0 through an expression. The JSON form is minified
    /// on one line, which once made position lookups quadratic (45 s for this spec).
    /// </summary>
    private static string Chain(int count, SpecFormat format)
    {
        var text = new StringBuilder();
        if (format == SpecFormat.Json)
        {
            text.Append("{\"name\": \"chain\", \"nodes\": [{\"id\": \"n0\", \"type\": \"echo\"}");
            for (var i = 1; i < count; i++)
            {
                text.Append($", {{\"id\": \"n{i}\", \"type\": \"echo\", \"needs\": [\"n{i - 1}\"], \"with\": \"${{{{ nodes.n0.output }}}}\"}}");
            }

            return text.Append("]}").ToString();
        }

        text.Append("name: chain\nnodes:\n  - { id: n0, type: echo }\n");
        for (var i = 1; i < count; i++)
        {
            text.Append($"  - {{ id: n{i}, type: echo, needs: [n{i - 1}], with: \"${{{{ nodes.n0.output }}}}\" }}\n");
        }

        return text.ToString();
    }
}
