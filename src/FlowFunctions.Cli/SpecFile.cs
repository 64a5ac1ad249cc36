using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Validation;

namespace FlowFunctions.Cli;

/// <summary>Reads a spec file from disk and validates it; file problems become plain messages, never stack traces.</summary>
internal static class SpecFile
{
    /// <summary>Writes a file problem, or every spec error as <c>file:line:col: path: message</c>, to stderr.</summary>
    public static async Task ReportAsync(string path, string? problem, SpecLoadResult? result, TextWriter stderr)
    {
        if (problem is not null)
        {
            await stderr.WriteLineAsync($"flow: {problem}");
            return;
        }

        foreach (var error in result!.Errors)
        {
            await stderr.WriteLineAsync($"{path}:{error.Line}:{error.Column}: {(error.Path.Length == 0 ? "/" : error.Path)}: {error.Message}");
        }
    }

    /// <summary>Loads <paramref name="path"/>, or returns the message explaining why it cannot be read.</summary>
    public static (SpecLoadResult? Result, string? Problem) Load(string path, SpecFormat? format)
    {
        var resolvedFormat = format ?? SpecFormats.FromFileName(path);
        if (resolvedFormat is null)
        {
            return (null, $"cannot tell the format of '{path}': name it .yaml, .yml or .json, or pass --format yaml|json");
        }

        if (Directory.Exists(path))
        {
            return (null, $"'{path}' is a directory, not a spec file");
        }

        if (!File.Exists(path))
        {
            return (null, $"file not found: '{path}'");
        }

        try
        {
            var info = new FileInfo(path);
            if (info.Length > SourceLimits.MaxSpecBytes * 4L)
            {
                // Larger than any valid spec even in UTF-32; do not read it into memory.
                return (null, $"'{path}' is {info.Length} bytes; the limit is {SourceLimits.MaxSpecBytes} bytes (1 MiB)");
            }

            var text = File.ReadAllText(path);
            return (SpecLoader.Load(text, resolvedFormat.Value), null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (null, $"cannot read '{path}': {ex.Message}");
        }
    }
}
