using System.Text.RegularExpressions;

namespace FlowFunctions.Host.Tests.Deployment;

/// <summary>
/// What the deployment tests read from Bicep source as text (the Bicep compiler is not available here): a module's
/// parameters and the keys of an object variable. Enough for infra/main.bicep's flat style, not a Bicep parser.
/// Shared with tests/FlowFunctions.Functions.Durable.Tests (linked there).
/// </summary>
internal static partial class BicepText
{
    /// <summary>The body of <c>module &lt;symbol&gt; '...' = {</c>, up to its closing brace at the start of a line.</summary>
    public static string Module(string bicep, string symbol)
    {
        var module = ModuleBlock().Matches(bicep).SingleOrDefault(m => m.Groups["symbol"].Value == symbol);
        module.ShouldNotBeNull($"no module '{symbol}'");
        return module.Groups["body"].Value;
    }

    /// <summary>The value expression of a module parameter, e.g. <c>'custom'</c> or <c>apiAppSettings</c>.</summary>
    public static string Param(string moduleBody, string name)
    {
        var match = Regex.Match(moduleBody, $@"^\s*{Regex.Escape(name)}:\s*(?<value>.+?)\s*$", RegexOptions.Multiline);
        match.Success.ShouldBeTrue($"the module sets no parameter '{name}'");
        return match.Groups["value"].Value;
    }

    /// <summary>A string literal parameter of a module, without its quotes.</summary>
    public static string StringParam(string moduleBody, string name) => Param(moduleBody, name).Trim('\'');

    /// <summary>
    /// The keys of object variable <paramref name="variable"/>: <c>var x = { ... }</c>, <c>var x = other</c> or
    /// <c>var x = union(other, { ... })</c>, following the other variables.
    /// </summary>
    public static IReadOnlyList<string> ObjectKeys(string bicep, string variable)
    {
        var name = Regex.Escape(variable);
        var declaration = Regex.Match(bicep, $@"^var {name} = (?<alias>\w+)[ \t]*$|^var {name} = (?<value>.*?)^\}}\)?[ \t]*$", RegexOptions.Multiline | RegexOptions.Singleline);
        declaration.Success.ShouldBeTrue($"no object variable '{variable}'");
        if (declaration.Groups["alias"].Success)
        {
            return ObjectKeys(bicep, declaration.Groups["alias"].Value);
        }

        var value = declaration.Groups["value"].Value;
        var union = Regex.Match(value, @"^union\((?<base>\w+),\s*\{");
        List<string> keys = union.Success ? [.. ObjectKeys(bicep, union.Groups["base"].Value)] : [];
        value.TrimStart().ShouldStartWith(union.Success ? "union(" : "{", customMessage: $"'{variable}' is neither an object nor a union with one");
        keys.AddRange(Key().Matches(value).Select(m => m.Groups["name"].Value));
        return keys;
    }

    [GeneratedRegex(@"^module\s+(?<symbol>\w+)\s+'[^']+'\s*=\s*\{(?<body>.*?)^\}", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex ModuleBlock();

    [GeneratedRegex(@"^\s*(?<name>[A-Za-z_][A-Za-z0-9_]*)\s*:", RegexOptions.Multiline)]
    private static partial Regex Key();
}
