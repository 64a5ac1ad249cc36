using FlowFunctions.Functions.Durable;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.Services.AddFlowDurableFunctions(builder.Configuration);
builder.Build().Run();
