using System.Text.Encodings.Web;
using System.Text.Json;

namespace FlowFunctions.Cli;

/// <summary>How the CLI writes JSON: compact, and readable (no \u0027 for quotes) since people read it too.</summary>
internal static class CliJson
{
    public static JsonSerializerOptions Options { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
