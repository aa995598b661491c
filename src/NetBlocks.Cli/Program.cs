using System.CommandLine;
using NetBlocks.Cli.Commands;

var root = new RootCommand("NetBlocks: modern convolutional networks, built from blocks (VGG, NiN, ResNeXt-style AnyNet, RegNet) in C#.");
foreach (var command in CommandRegistry.All()) root.Add(command);
return root.Parse(args).Invoke();
