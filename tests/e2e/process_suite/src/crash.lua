local function main(reason) error(reason or "crash on purpose") end
return {main = main}
