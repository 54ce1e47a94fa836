"""LuaLS signatures of the `process` module (docs/modules/process.md); wippy/lua/stubs reads them."""
SIGNATURES = """
pid(): string?
id(): string
send(dest: string, topic: string, ...: any): boolean?, error?
inbox(): channel.Channel
listen(topic: string, options?: {message?: boolean}): channel.Channel
unlisten(ch: channel.Channel): boolean
events(): channel.Channel
spawn(id: string, host: string, ...: any): string?, error?
spawn_monitored(id: string, host: string, ...: any): string?, error?
spawn_linked(id: string, host: string, ...: any): string?, error?
spawn_linked_monitored(id: string, host: string, ...: any): string?, error?
exec(id: string, host: string, ...: any): any, error?
terminate(dest: string): boolean?, error?
cancel(dest: string, reason?: any): boolean?, error?
monitor(dest: string): boolean?, error?
unmonitor(dest: string): boolean?, error?
link(dest: string): boolean?, error?
unlink(dest: string): boolean?, error?
get_options(): {trap_links: boolean}
set_options(options: {trap_links?: boolean}): boolean?, error?
with_context(values: table<string, any>): table
with_options(options: table): table
upgrade(source?: string, ...: any): boolean?, error?
registry.register(name: string, pid?: string, scope?: integer): boolean?, error?
registry.lookup(name: string): string?, error?
registry.unregister(name: string, scope?: integer): boolean?, error?
"""
