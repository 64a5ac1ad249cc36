using System.Text;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Parsing;

namespace FlowFunctions.Core.Tests.Parsing;

public class SourceReaderTests
{
    [Theory]
    [InlineData("v: 299", "299")]
    [InlineData("v: -12", "-12")]
    [InlineData("v: 0x1F", "31")]
    [InlineData("v: 0o17", "15")]
    [InlineData("v: 3.5", "3.5")]
    [InlineData("v: 1e3", "1000")]
    [InlineData("v: true", "true")]
    [InlineData("v: False", "false")]
    [InlineData("v: null", "null")]
    [InlineData("v: ~", "null")]
    [InlineData("v:", "null")]
    [InlineData("v: '299'", "\"299\"")]
    [InlineData("v: \"true\"", "\"true\"")]
    [InlineData("v: yes", "\"yes\"")]
    [InlineData("v: on", "\"on\"")]
    [InlineData("v: 012", "12")]
    [InlineData("v: .inf", "\".inf\"")]
    [InlineData("v: !!str 42", "\"42\"")]
    [InlineData("v: 2026-11-22", "\"2026-11-22\"")]
    public void Yaml_PlainScalars_ResolveByTheCoreSchema(string yaml, string expectedJson)
    {
        var document = SourceReader.Read(yaml, SpecFormat.Yaml);

        JsonNode.DeepEquals(document.Root!["v"], JsonNode.Parse(expectedJson)).ShouldBeTrue(document.Root!["v"]?.ToJsonString());
    }

    [Fact]
    public void YamlAndJson_SameSpec_GiveEqualTrees()
    {
        const string yaml = """
            name: x
            n: 299
            f: 2.5
            b: true
            z: null
            list: [a, 1, "2"]
            nested: { k: v }
            """;
        const string json = """{"name":"x","n":299,"f":2.5,"b":true,"z":null,"list":["a",1,"2"],"nested":{"k":"v"}}""";

        JsonNode.DeepEquals(SourceReader.Read(yaml, SpecFormat.Yaml).Root, SourceReader.Read(json, SpecFormat.Json).Root).ShouldBeTrue();
    }

    [Fact]
    public void Yaml_Positions_AreOneBasedLineAndColumnOfEachValueAndKey()
    {
        const string yaml = "name: x\nnodes:\n  - id: a\n    needs: [b, c]\n";

        var document = SourceReader.Read(yaml, SpecFormat.Yaml);

        document.PositionOf("/name").ShouldBe(new SourcePosition(1, 7));
        document.PositionOf("/nodes/0").ShouldBe(new SourcePosition(3, 5));
        document.PositionOf("/nodes/0/needs/1").ShouldBe(new SourcePosition(4, 16));
        document.KeyPositionOf("/nodes/0/needs").ShouldBe(new SourcePosition(4, 5));
        document.PositionOf("/nodes/0/missing").ShouldBe(new SourcePosition(3, 5));
    }

    [Fact]
    public void Json_Positions_CountCharactersNotBytes()
    {
        const string json = "{\n  \"name\": \"é\", \"nodes\": [\n    {\"id\": \"a\"}\n  ]\n}";

        var document = SourceReader.Read(json, SpecFormat.Json);

        document.PositionOf("/name").ShouldBe(new SourcePosition(2, 11));
        document.PositionOf("/nodes").ShouldBe(new SourcePosition(2, 25));
        document.PositionOf("/nodes/0/id").ShouldBe(new SourcePosition(3, 12));
        document.KeyPositionOf("/nodes/0/id").ShouldBe(new SourcePosition(3, 6));
    }

    [Fact]
    public void Pointer_EscapesSlashAndTilde()
    {
        var document = SourceReader.Read("{\"a/b\": {\"c~d\": 1}}", SpecFormat.Json);

        document.PositionOf("/a~1b/c~0d").ShouldBe(new SourcePosition(1, 17));
    }

    [Theory]
    [InlineData("a: [1, 2\nb: 3", SpecFormat.Yaml)]
    [InlineData("a: b: c", SpecFormat.Yaml)]
    [InlineData("{\"a\": 1,}", SpecFormat.Json)]
    [InlineData("{\"a\": 1} x", SpecFormat.Json)]
    [InlineData("{\"a\" 1}", SpecFormat.Json)]
    public void MalformedText_IsASyntaxErrorWithAPosition(string text, SpecFormat format)
    {
        var ex = Should.Throw<SourceSyntaxException>(() => SourceReader.Read(text, format));

        ex.Message.ShouldContain("syntax error");
        ex.Position.Line.ShouldBeGreaterThanOrEqualTo(1);
        ex.Position.Column.ShouldBeGreaterThanOrEqualTo(1);
    }

    [Theory]
    [InlineData("a: 1\na: 2", SpecFormat.Yaml, 2)]
    [InlineData("{\"a\": 1,\n \"a\": 2}", SpecFormat.Json, 2)]
    public void DuplicateKeys_AreRejectedAtTheSecondOccurrence(string text, SpecFormat format, int line)
    {
        var ex = Should.Throw<SourceSyntaxException>(() => SourceReader.Read(text, format));

        ex.Message.ShouldBe("duplicate key 'a'");
        ex.Position.Line.ShouldBe(line);
    }

    [Fact]
    public void AliasBomb_IsRejectedBeforeItExpands()
    {
        var yaml = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (var i = 1; i < 10; i++)
        {
            yaml.Append($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]\n");
        }

        var ex = Should.Throw<SourceSyntaxException>(() => SourceReader.Read(yaml.ToString(), SpecFormat.Yaml));

        ex.Message.ShouldContain("alias bomb");
    }

    [Fact]
    public void Aliases_WithinTheBudget_AreExpanded()
    {
        var document = SourceReader.Read("base: &b { maxAttempts: 3 }\nother: *b\n", SpecFormat.Yaml);

        document.Root!["other"]!["maxAttempts"]!.GetValue<long>().ShouldBe(3);
    }

    [Theory]
    [InlineData(SpecFormat.Yaml)]
    [InlineData(SpecFormat.Json)]
    public void Nesting_DeeperThan64_IsRejected(SpecFormat format)
    {
        var text = new string('[', 70) + new string(']', 70);

        var ex = Should.Throw<SourceSyntaxException>(() => SourceReader.Read(text, format));

        ex.Message.ShouldContain("64");
    }

    [Theory]
    [InlineData(SpecFormat.Yaml)]
    [InlineData(SpecFormat.Json)]
    public void Nesting_Of65_IsRejectedAtThe65thOpening(SpecFormat format)
    {
        var text = new string('[', 65) + "1" + new string(']', 65);

        var ex = Should.Throw<SourceSyntaxException>(() => SourceReader.Read(text, format));

        ex.Message.ShouldBe("nesting deeper than 64 levels");
        ex.Position.ShouldBe(new SourcePosition(1, 65));
    }

    [Theory]
    [InlineData(SpecFormat.Yaml)]
    [InlineData(SpecFormat.Json)]
    public void Nesting_Of64_WithAScalarInside_IsAccepted(SpecFormat format)
    {
        var text = new string('[', 64) + "1" + new string(']', 64);

        SourceReader.Read(text, format).Root.ShouldBeOfType<JsonArray>();
    }

    [Fact]
    public void Nesting_Of64_IsAccepted()
    {
        var text = new string('[', 64) + new string(']', 64);

        SourceReader.Read(text, SpecFormat.Json).Root.ShouldBeOfType<JsonArray>();
    }

    [Fact]
    public void Text_LargerThanOneMebibyte_IsRejected()
    {
        var text = "description: " + new string('x', SourceLimits.MaxSpecBytes);

        var ex = Should.Throw<SourceSyntaxException>(() => SourceReader.Read(text, SpecFormat.Yaml));

        ex.Message.ShouldContain("1 MiB");
    }

    [Fact]
    public void Yaml_SecondDocument_IsRejected()
    {
        var ex = Should.Throw<SourceSyntaxException>(() => SourceReader.Read("a: 1\n---\nb: 2\n", SpecFormat.Yaml));

        ex.Message.ShouldContain("one YAML document");
    }

    [Theory]
    [InlineData("", SpecFormat.Yaml)]
    [InlineData("", SpecFormat.Json)]
    [InlineData("# only a comment", SpecFormat.Yaml)]
    public void EmptyText_HasNoRoot(string text, SpecFormat format)
    {
        SourceReader.Read(text, format).Root.ShouldBeNull();
    }

    [Theory]
    [InlineData("x.yaml", SpecFormat.Yaml)]
    [InlineData("x.YML", SpecFormat.Yaml)]
    [InlineData("dir/x.json", SpecFormat.Json)]
    [InlineData("x.txt", null)]
    public void FromFileName_UsesTheExtension(string path, SpecFormat? expected)
    {
        SpecFormats.FromFileName(path).ShouldBe(expected);
    }

    [Theory]
    [InlineData("  {\"name\": 1}", SpecFormat.Json)]
    [InlineData("name: x", SpecFormat.Yaml)]
    public void Sniff_ChoosesJsonForObjects(string text, SpecFormat expected)
    {
        SpecFormats.Sniff(text).ShouldBe(expected);
    }
}
