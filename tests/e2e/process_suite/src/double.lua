local function main(x) return x * 2 end
return {main = main}
