#!/usr/bin/env ruby
# frozen_string_literal: true

# Renders the templates of a BOSH job the way the Director does, with Ruby's standard library only
# (erb, yaml, json), for tests: no bosh-template gem, no Director.
#
#   ruby test/bosh/render.rb --job bosh-release/jobs/dupip --out DIR [--properties FILE] [--spec FILE]
#
# --properties FILE  the job's properties as in a deployment manifest, YAML or JSON:
#                    {"dupip": {"web": {"port": 9999}}} (default: none, so every spec default applies)
# --spec FILE        overrides for the `spec` object templates see (name, index, address, ...)
#
# Like the Director: the properties a template sees are the spec's declared properties, each the
# manifest value when given, else the spec default; `p(name)` / `p(name, default)` / `p([names])`,
# `if_p(names...) { |values| } .else { }`, `spec.*` and `properties.*`; ERB with trim_mode "-"; the
# monit file is rendered too. Stricter than the Director, so that tests catch mistakes the Director
# would let through: a manifest property the spec does not declare, and `p`/`if_p` on a name the spec
# does not declare (even with a default argument), are errors. Links are not supported.
#
# Writes each rendered template to DIR/<destination> (monit to DIR/monit) and prints a JSON summary
# {"job": NAME, "files": {"<destination>": "<path>"}}. Exit 1 with "render: <message>" on stderr on
# any error (an exception raised by a template included).

require 'erb'
require 'fileutils'
require 'json'
require 'optparse'
require 'securerandom'
require 'yaml'

module BoshRender
  class Error < StandardError; end

  # Like OpenStruct (which leaves Ruby's default gems): `spec.networks.default.ip`, nil for an
  # unknown name, `[]` and `to_h` too.
  class SpecStruct
    def initialize(hash)
      @hash = hash
    end

    def [](key)
      @hash[key.to_s]
    end

    def to_h
      @hash.transform_values { |v| v.is_a?(SpecStruct) ? v.to_h : v }
    end

    def respond_to_missing?(_name, _include_private = false)
      true
    end

    def method_missing(name, *args)
      return super unless args.empty? && !name.to_s.end_with?('=', '?', '!')

      @hash[name.to_s]
    end
  end

  # A nested Hash turned into SpecStructs all the way down, like the Director's `spec` object.
  def self.openstruct(value)
    case value
    when Hash then SpecStruct.new(value.to_h { |k, v| [k.to_s, openstruct(v)] })
    when Array then value.map { |v| openstruct(v) }
    else value
    end
  end

  def self.deep_copy(value)
    Marshal.load(Marshal.dump(value))
  end

  # Looks up "a.b.c" in a nested Hash; [found, value].
  def self.lookup(hash, name)
    current = hash
    name.split('.').each do |part|
      return [false, nil] unless current.is_a?(Hash) && current.key?(part)

      current = current[part]
    end
    [true, current]
  end

  def self.assign(hash, name, value)
    parts = name.split('.')
    last = parts.pop
    target = parts.reduce(hash) { |h, part| h[part] ||= {} }
    target[last] = value
  end

  class Job
    attr_reader :name, :dir, :spec

    def initialize(dir)
      @dir = dir
      spec_file = File.join(dir, 'spec')
      raise Error, "#{spec_file}: no such file" unless File.file?(spec_file)

      @spec = YAML.safe_load(File.read(spec_file), aliases: false) || {}
      raise Error, "#{spec_file}: not a mapping" unless @spec.is_a?(Hash)

      @name = @spec['name'] or raise Error, "#{spec_file}: no name"
      @declared = @spec['properties'] || {}
      raise Error, "#{spec_file}: properties is not a mapping" unless @declared.is_a?(Hash)
    end

    def declared?(name)
      @declared.key?(name)
    end

    def declared_names
      @declared.keys
    end

    # The properties the templates see: spec defaults merged with the manifest's values. Raises on a
    # manifest property the spec does not declare.
    def effective_properties(given)
      given ||= {}
      raise Error, "properties must be a mapping, got #{given.class}" unless given.is_a?(Hash)

      check_declared(given, [])
      effective = {}
      @declared.each do |name, definition|
        found, value = BoshRender.lookup(given, name)
        if found && !value.nil?
          BoshRender.assign(effective, name, BoshRender.deep_copy(value))
        elsif definition.is_a?(Hash) && definition.key?('default') && !definition['default'].nil?
          BoshRender.assign(effective, name, BoshRender.deep_copy(definition['default']))
        end
      end
      effective
    end

    private

    # Every leaf (or value of a declared name) of the manifest properties must be declared.
    def check_declared(hash, path)
      hash.each do |key, value|
        name = (path + [key.to_s]).join('.')
        next if declared?(name)

        prefix = "#{name}."
        if value.is_a?(Hash) && @declared.keys.any? { |d| d.start_with?(prefix) }
          check_declared(value, path + [key.to_s])
        else
          raise Error, "property #{name} is not declared in the spec of job #{@name}"
        end
      end
    end
  end

  # What a template's ERB code can call: the Director's EvaluationContext, minus links.
  class Context
    class ActiveElseBlock
      def else; end

      def else_if_p(*_names); self; end
    end

    class InactiveElseBlock
      def initialize(context)
        @context = context
      end

      def else
        yield
      end

      def else_if_p(*names, &block)
        @context.if_p(*names, &block)
      end
    end

    attr_reader :spec, :properties, :name, :index

    def initialize(job, effective, spec_overrides)
      @job = job
      @raw_properties = effective
      spec = default_spec(job).merge(spec_overrides || {})
      spec['properties'] = BoshRender.deep_copy(effective)
      @spec = BoshRender.openstruct(spec)
      @properties = BoshRender.openstruct(BoshRender.deep_copy(effective))
      @name = spec['name']
      @index = spec['index']
    end

    def p(*args)
      names = Array(args[0])
      names.each do |name|
        check_declared!(name, 'p')
        found, value = BoshRender.lookup(@raw_properties, name)
        return value if found && !value.nil?
      end
      return args[1] if args.length == 2

      raise Error, "Can't find property '#{names.join("', '")}'"
    end

    def if_p(*names)
      values = names.map do |name|
        check_declared!(name, 'if_p')
        found, value = BoshRender.lookup(@raw_properties, name)
        return InactiveElseBlock.new(self) unless found && !value.nil?

        value
      end
      yield(*values)
      ActiveElseBlock.new
    end

    def link(name)
      raise Error, "link('#{name}'): links are not supported by this harness"
    end

    def if_link(_name)
      InactiveElseBlock.new(self)
    end

    def render(source, file)
      erb = ERB.new(source, trim_mode: '-')
      erb.filename = file
      erb.result(binding)
    end

    private

    def check_declared!(name, how)
      return if @job.declared?(name)

      raise Error, "#{how}('#{name}'): property #{name} is not declared in the spec of job #{@job.name}"
    end

    def default_spec(job)
      {
        'name' => "#{job.name}-test",
        'job' => { 'name' => job.name },
        'id' => SecureRandom.uuid,
        'index' => 0,
        'az' => 'z1',
        'bootstrap' => true,
        'deployment' => 'test',
        'address' => '192.0.2.10',
        'ip' => '192.0.2.10',
        'dns_domain_name' => 'bosh',
        'networks' => { 'default' => { 'ip' => '192.0.2.10', 'netmask' => '255.255.255.0', 'gateway' => '192.0.2.1', 'default' => %w[dns gateway] } },
        'persistent_disk' => 0,
        'release' => { 'name' => 'dupip', 'version' => '0+dev.1' },
      }
    end
  end

  def self.load_data(file)
    return nil if file.nil?

    text = File.read(file)
    file.end_with?('.json') ? JSON.parse(text) : YAML.safe_load(text, aliases: false)
  end

  # Renders every template (and monit) of the job into out; returns {destination => path}.
  def self.render_job(job_dir, out, properties, spec_overrides)
    job = Job.new(job_dir)
    effective = job.effective_properties(properties)
    templates = job.spec['templates'] || {}
    raise Error, "job #{job.name}: templates is not a mapping" unless templates.is_a?(Hash)

    sources = templates.to_a
    sources << ['monit', 'monit'] if File.file?(File.join(job_dir, 'monit'))
    files = {}
    sources.each do |source, destination|
      path = source == 'monit' && destination == 'monit' ? File.join(job_dir, 'monit') : File.join(job_dir, 'templates', source)
      raise Error, "job #{job.name}: template #{source} does not exist (#{path})" unless File.file?(path)

      context = Context.new(job, effective, spec_overrides)
      begin
        rendered = context.render(File.read(path), path)
      rescue Error
        raise
      rescue StandardError, ScriptError => e
        raise Error, "job #{job.name}: rendering #{source} failed: #{e.message}"
      end
      target = File.join(out, destination)
      FileUtils.mkdir_p(File.dirname(target))
      File.write(target, rendered)
      files[destination] = target
    end
    { 'job' => job.name, 'files' => files }
  end
end

if $PROGRAM_NAME == __FILE__
  options = {}
  OptionParser.new do |o|
    o.banner = 'usage: render.rb --job DIR --out DIR [--properties FILE] [--spec FILE]'
    o.on('--job DIR') { |v| options[:job] = v }
    o.on('--out DIR') { |v| options[:out] = v }
    o.on('--properties FILE') { |v| options[:properties] = v }
    o.on('--spec FILE') { |v| options[:spec] = v }
  end.parse!
  begin
    raise BoshRender::Error, '--job and --out are required' unless options[:job] && options[:out]

    result = BoshRender.render_job(options[:job], options[:out], BoshRender.load_data(options[:properties]), BoshRender.load_data(options[:spec]))
    puts JSON.generate(result)
  rescue BoshRender::Error, Psych::Exception, JSON::ParserError, SystemCallError => e
    warn "render: #{e.message}"
    exit 1
  end
end
