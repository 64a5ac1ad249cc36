using System.Text;
using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Validation;

namespace FlowFunctions.Core.Tests.Validation;

/// <summary>
/// Deterministic mutation fuzzing: the samples and the invalid-spec corpus, mangled in thousands of ways, must
/// never make the loader throw, and every error must carry a real position.
/// </summary>
public class SpecLoaderFuzzTests
{
    private const int Seed = 20_260_101;
    private const int MutantsPerSeedFile = 100;
    private static readonly string[] Fragments = ["${{", "}}", "${{ nodes.", "${{ inputs.x", "${{ item }}", "&a", "*a", "!!int", "- ", ": ", "? ", "---", "\"", "'", "\t", "[", "{", "]", "}", "|", ">", "#", "\\u0000", "\uFFFF", "é"];
    private const string Noise = "{[]}:-&*!|>'\"\t,#%@`\\\n ";

    public static TheoryData<string> SeedFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Seeds())
        {
            data.Add(file);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SeedFiles))]
    public void Load_MutatedSpecs_NeverThrowAndAlwaysGivePositions(string seedFile)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, seedFile));
        var random = new Random(Seed ^ StableHash(seedFile));

        for (var i = 0; i < MutantsPerSeedFile; i++)
        {
            var mutant = Mutate(text, random, 1 + random.Next(4));
            foreach (var format in new[] { SpecFormat.Yaml, SpecFormat.Json })
            {
                SpecLoadResult result;
                try
                {
                    result = SpecLoader.Load(mutant, format);
                }
                catch (Exception ex)
                {
                    throw new ShouldAssertException($"{seedFile} mutant {i} ({format}) threw {ex.GetType().Name}: {ex.Message}\n--- text ---\n{mutant}", ex);
                }

                foreach (var error in result.Errors)
                {
                    (error.Line >= 1 && error.Column >= 1).ShouldBeTrue($"{seedFile} mutant {i} ({format}): {error}\n--- text ---\n{mutant}");
                    error.Message.ShouldNotBeNullOrWhiteSpace();
                }

                (result.IsValid == result.Errors.IsEmpty).ShouldBeTrue();
            }
        }
    }

    private static IEnumerable<string> Seeds() =>
        Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "samples"))
            .Concat(InvalidSpecCorpusTests.CorpusFiles())
            .Where(f => SpecFormats.FromFileName(f) is not null)
            .Select(f => Path.GetRelativePath(AppContext.BaseDirectory, f))
            .Order(StringComparer.Ordinal);

    private static string Mutate(string text, Random random, int rounds)
    {
        for (var r = 0; r < rounds; r++)
        {
            var lines = text.Split('\n').ToList();
            var line = random.Next(lines.Count);
            switch (random.Next(10))
            {
                case 0:
                    lines.RemoveAt(line);
                    break;
                case 1:
                    lines.Insert(line, lines[line]);
                    break;
                case 2:
                    var other = random.Next(lines.Count);
                    (lines[line], lines[other]) = (lines[other], lines[line]);
                    break;
                case 3:
                    lines[line] = InsertAt(lines[line], random, Noise[random.Next(Noise.Length)].ToString());
                    break;
                case 4:
                    lines[line] = InsertAt(lines[line], random, Fragments[random.Next(Fragments.Length)]);
                    break;
                case 5:
                    // Truncate the whole text somewhere.
                    return text[..random.Next(text.Length + 1)];
                case 6:
                    lines[line] = random.Next(2) == 0 ? "  " + lines[line] : lines[line].TrimStart();
                    break;
                case 7:
                    lines[line] = lines[line].Length == 0 ? lines[line] : lines[line].Remove(random.Next(lines[line].Length), 1);
                    break;
                case 8:
                    lines[line] = new string(' ', random.Next(8)) + lines[line].Replace(" ", random.Next(2) == 0 ? "\t" : string.Empty, StringComparison.Ordinal);
                    break;
                default:
                    // Nudge a number or a known word to a neighbouring wrong value.
                    lines[line] = lines[line]
                        .Replace("echo", "ech0", StringComparison.Ordinal)
                        .Replace("needs", "need", StringComparison.Ordinal)
                        .Replace("1", "-1", StringComparison.Ordinal)
                        .Replace("\"", string.Empty, StringComparison.Ordinal);
                    break;
            }

            text = string.Join('\n', lines);
        }

        return text;
    }

    private static string InsertAt(string line, Random random, string fragment) => line.Insert(random.Next(line.Length + 1), fragment);

    private static int StableHash(string text)
    {
        var hash = 17;
        foreach (var c in Encoding.UTF8.GetBytes(text))
        {
            hash = unchecked((hash * 31) + c);
        }

        return hash;
    }
}
