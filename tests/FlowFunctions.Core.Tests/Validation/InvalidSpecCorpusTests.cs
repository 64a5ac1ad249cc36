using System.Text;
using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Validation;

namespace FlowFunctions.Core.Tests.Validation;

/// <summary>
/// Every file in InvalidSpecs/ must be rejected with exactly the errors listed in its .expect sidecar
/// (format described in InvalidSpecs/README.md).
/// </summary>
public class InvalidSpecCorpusTests
{
    private static readonly string CorpusDirectory = Path.Combine(AppContext.BaseDirectory, "Validation", "InvalidSpecs");

    public static TheoryData<string> SpecFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in CorpusFiles())
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SpecFiles))]
    public void Load_InvalidSpec_ReportsExactlyTheExpectedErrors(string fileName)
    {
        var path = Path.Combine(CorpusDirectory, fileName);
        var format = SpecFormats.FromFileName(path)!.Value;
        var expected = ReadExpectations(path + ".expect");

        var result = SpecLoader.Load(File.ReadAllText(path), format);

        result.IsValid.ShouldBeFalse();
        var unmatched = Match(expected, result.Errors);
        var report = new StringBuilder();
        foreach (var e in unmatched.Expected)
        {
            report.AppendLine($"  missing:    {e.Path} {e.Line}:{e.Column} {e.Message}");
        }

        foreach (var e in unmatched.Actual)
        {
            report.AppendLine($"  unexpected: {(e.Path.Length == 0 ? "/" : e.Path)} {e.Line}:{e.Column} {e.Message}");
        }

        report.Length.ShouldBe(0, $"{fileName}:\n{report}");
    }

    [Fact]
    public void Corpus_HasAtLeast70Specs_EachWithExpectations()
    {
        var files = CorpusFiles().ToList();

        files.Count.ShouldBeGreaterThanOrEqualTo(70);
        files.Count(f => f.EndsWith(".json", StringComparison.Ordinal)).ShouldBeGreaterThanOrEqualTo(12);
        foreach (var file in files)
        {
            File.Exists(file + ".expect").ShouldBeTrue($"{Path.GetFileName(file)} has no .expect file");
            ReadExpectations(file + ".expect").ShouldNotBeEmpty($"{Path.GetFileName(file)}.expect lists no errors");
        }

        foreach (var expect in Directory.EnumerateFiles(CorpusDirectory, "*.expect"))
        {
            File.Exists(expect[..^".expect".Length]).ShouldBeTrue($"{Path.GetFileName(expect)} has no spec file");
        }
    }

    internal static IEnumerable<string> CorpusFiles() =>
        Directory.EnumerateFiles(CorpusDirectory)
            .Where(f => SpecFormats.FromFileName(f) is not null)
            .Order(StringComparer.Ordinal);

    private static List<Expectation> ReadExpectations(string path)
    {
        var result = new List<Expectation>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            // "<path> <line>:<col> <message substring>"; the path may not contain spaces, so '%20' stands for one.
            var parts = line.Split(' ', 3);
            var position = parts.Length >= 2 ? parts[1].Split(':') : [];
            if (parts.Length != 3 || position.Length != 2 || !int.TryParse(position[0], out var l) || !int.TryParse(position[1], out var c))
            {
                throw new FormatException($"{Path.GetFileName(path)}:{lineNumber}: expected '<path> <line>:<col> <message>'");
            }

            var pointer = parts[0] == "/" ? string.Empty : parts[0].Replace("%20", " ", StringComparison.Ordinal);
            result.Add(new Expectation(pointer, l, c, parts[2]));
        }

        return result;
    }

    /// <summary>Pairs expectations with distinct actual errors (a maximum bipartite matching) and returns what is left over.</summary>
    private static (List<Expectation> Expected, List<SpecError> Actual) Match(List<Expectation> expected, IReadOnlyList<SpecError> actual)
    {
        var owner = new int[actual.Count];
        Array.Fill(owner, -1);
        bool TryAssign(int e, bool[] seen)
        {
            for (var a = 0; a < actual.Count; a++)
            {
                if (seen[a] || !expected[e].Matches(actual[a]))
                {
                    continue;
                }

                seen[a] = true;
                if (owner[a] < 0 || TryAssign(owner[a], seen))
                {
                    owner[a] = e;
                    return true;
                }
            }

            return false;
        }

        var missing = new List<Expectation>();
        for (var e = 0; e < expected.Count; e++)
        {
            if (!TryAssign(e, new bool[actual.Count]))
            {
                missing.Add(expected[e]);
            }
        }

        return (missing, actual.Where((_, a) => owner[a] < 0).ToList());
    }

    private sealed record Expectation(string Path, int Line, int Column, string Message)
    {
        public bool Matches(SpecError error) =>
            error.Path == Path && error.Line == Line && error.Column == Column && error.Message.Contains(Message, StringComparison.Ordinal);
    }
}
