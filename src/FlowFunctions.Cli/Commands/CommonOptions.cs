using System.CommandLine;
using FlowFunctions.Core.Parsing;

namespace FlowFunctions.Cli.Commands;

/// <summary>Options shared by several commands, declared once so they read the same everywhere.</summary>
internal static class CommonOptions
{
    public static Option<string> Output()
    {
        var option = new Option<string>("--output", "-o") { Description = "Output format: text (default) or json.", DefaultValueFactory = _ => "text" };
        option.AcceptOnlyFromAmong("text", "json");
        return option;
    }

    public static Option<string?> Format()
    {
        var option = new Option<string?>("--format") { Description = "Spec format when the file extension does not tell: yaml or json." };
        option.AcceptOnlyFromAmong("yaml", "json");
        return option;
    }

    public static Option<string> Store() => new("--store")
    {
        Description = "Where runs are stored: a SQLite file (created when missing) or an Azure Storage connection string such as UseDevelopmentStorage=true.",
        DefaultValueFactory = _ => Path.Combine(".flow", "flow.db"),
    };

    public static Option<string> Engine()
    {
        var option = new Option<string>("--engine")
        {
            Description = "The engine of the runs this command starts and works: native (default, any store) or durable (Durable Task orchestrations; needs an Azure Storage store).",
            DefaultValueFactory = _ => EngineFactory.NativeEngine,
        };
        option.AcceptOnlyFromAmong(EngineFactory.NativeEngine, EngineFactory.DurableEngine);
        return option;
    }

    public static Option<string[]> AllowHost() => new("--allow-host")
    {
        Description = "A host, IP address or CIDR range that http nodes may reach although it is private or loopback (e.g. 127.0.0.1 for local testing); repeatable.",
    };

    public static SpecFormat? ParseFormat(string? value) => value switch
    {
        "yaml" => SpecFormat.Yaml,
        "json" => SpecFormat.Json,
        _ => null,
    };
}
