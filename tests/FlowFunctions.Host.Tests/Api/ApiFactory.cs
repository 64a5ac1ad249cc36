using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace FlowFunctions.Host.Tests.Api;

/// <summary>The host in-process on a fresh SQLite store, in --dev mode (no authentication), with its in-process worker.</summary>
public class ApiFactory : WebApplicationFactory<Program>
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "ff-api-" + Guid.NewGuid().ToString("N"));

    /// <summary>The --store value.</summary>
    public virtual string Store => Path.Combine(_directory, "flow.db");

    /// <summary>The --engine value: what the host starts its runs on and its worker works.</summary>
    public virtual string Engine => "native";

    /// <summary>Configuration besides the store.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string>> Settings => [new("FlowFunctions:Dev", "true")];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        Directory.CreateDirectory(_directory);
        builder.UseSetting("FlowFunctions:Store", Store);
        builder.UseSetting("FlowFunctions:Engine", Engine);
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
        try
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}

/// <summary>The host with authentication on: one API key, not --dev.</summary>
public sealed class AuthApiFactory : ApiFactory
{
    public const string Key = "test-key-0123456789abcdef";

    protected override IEnumerable<KeyValuePair<string, string>> Settings => [new("FlowFunctions:ApiKeys:0", Key)];
}

/// <summary>The host on Azurite (FLOWFUNCTIONS_TEST_AZURE), in a name prefix of its own.</summary>
public class AzureApiFactory : ApiFactory
{
    private readonly string _prefix = "api" + Guid.NewGuid().ToString("N")[..12];

    public override string Store =>
        (Environment.GetEnvironmentVariable(AzureFactAttribute.Variable) ?? "UseDevelopmentStorage=true").TrimEnd(';') + ";NamePrefix=" + _prefix;
}

/// <summary>The host on Azurite with <c>--engine durable</c>: its runs are Durable Task orchestrations, worked in the host.</summary>
public sealed class DurableApiFactory : AzureApiFactory
{
    public override string Engine => "durable";
}

/// <summary>A fact that needs an Azure Storage account: skipped, with the way to run it, when none is configured.</summary>
public sealed class AzureFactAttribute : FactAttribute
{
    public const string Variable = "FLOWFUNCTIONS_TEST_AZURE";

    public AzureFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
        {
            Skip = $"needs Azurite: run ./test.sh (it starts Azurite and sets {Variable})";
        }
    }
}
