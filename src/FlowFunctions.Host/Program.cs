using FlowFunctions.Host;

var builder = WebApplication.CreateBuilder(HostExtensions.NormalizeArguments(args));
builder.AddFlowFunctionsHost(args);
var app = builder.Build();
app.MapFlowFunctions();
await app.RunAsync();

/// <summary>The host's entry point (public so that in-process tests can start it).</summary>
public partial class Program;
